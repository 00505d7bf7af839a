import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/features.js';
import { UsageError } from '../../src/cli/args.js';
import { createEngine } from '../../src/engine.js';
import { parseCsv } from '../../src/core/csv.js';

afterEach(() => vi.restoreAllMocks());

function capture() {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  return () => JSON.parse(out) as Record<string, any>;
}

const ev = (id: string, customerId: string, at: string, type: string, payload: object) => ({ eventId: id, customerId, occurredAt: at, schemaVersion: 1, type, payload });

async function seeded(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nb-fcli-'));
  const engine = await createEngine({ dataDir, log: { level: 'silent' } });
  await engine.ingest([
    ev('a1', 'c1', '2026-05-01T10:00:00Z', 'login', { channel: 'web' }),
    ev('a2', 'c1', '2026-06-10T10:00:00Z', 'login', { channel: 'web' }),
    ev('a3', 'c1', '2026-07-02T10:00:00Z', 'login', { channel: 'web' }),
    ev('b1', 'c2', '2026-06-20T10:00:00Z', 'card_payment', { amount: { minor: -1999, currency: 'GBP' }, merchantCategoryCode: '5812' }),
  ]);
  await engine.close();
  return dataDir;
}

describe('nextbest features', () => {
  it('backfills point-in-time rows for every customer at one as-of time, with no event after it', async () => {
    const dir = await seeded();
    const out = join(dir, 'f.csv');
    const summary = capture();
    expect(await run(['backfill', '--asof', '2026-06-30T00:00:00Z', '--out', out, '--data-dir', dir])).toBe(0);
    expect(summary()).toMatchObject({ rows: 2, eventsScanned: 3 });
    const csv = parseCsv(readFileSync(out, 'utf8'));
    const col = (n: string) => csv.header.indexOf(n);
    const byId = new Map(csv.rows.map((r) => [r[0], r]));
    expect(csv.header.slice(0, 3)).toEqual(['customer_id', 'as_of', 'deposit_balance_sum_30d']);
    expect(byId.get('c1')![col('logins_30d')]).toBe('1');
    expect(byId.get('c1')![col('days_since_first_seen')]).toBe(String(59 + 14 / 24));
    expect(byId.get('c2')![col('card_spend_dining_30d')]).toBe('19.99');
    expect(byId.get('c2')![col('salary_mean_365d')]).toBe('');
  });

  it('reads (customer, as-of) pairs from a CSV and names a bad line and column', async () => {
    const dir = await seeded();
    const pairs = join(dir, 'pairs.csv');
    writeFileSync(pairs, 'customer_id,as_of\nc1,2026-06-10T10:00:00Z\nc1,2026-07-03T00:00:00Z\n');
    const summary = capture();
    expect(await run(['backfill', '--asof-file', pairs, '--out', join(dir, 'p.csv'), '--data-dir', dir])).toBe(0);
    expect(summary().rows).toBe(2);
    const csv = parseCsv(readFileSync(join(dir, 'p.csv'), 'utf8'));
    expect(csv.rows.map((r) => r[csv.header.indexOf('logins_30d')])).toEqual(['1', '2']);
    writeFileSync(pairs, 'customer_id,as_of\nc1,30/06/2026\n');
    await expect(run(['backfill', '--asof-file', pairs, '--out', join(dir, 'x.csv'), '--data-dir', dir])).rejects.toThrow(/line 2 column as_of/);
    writeFileSync(pairs, 'customer,when\nc1,2026-06-10T10:00:00Z\n');
    await expect(run(['backfill', '--asof-file', pairs, '--out', join(dir, 'x.csv'), '--data-dir', dir])).rejects.toThrow(/customer_id and as_of/);
    await expect(run(['backfill', '--out', join(dir, 'x.csv'), '--data-dir', dir])).rejects.toBeInstanceOf(UsageError);
    await expect(run(['backfill', '--asof', 'tomorrow', '--out', join(dir, 'x.csv'), '--data-dir', dir])).rejects.toThrow(/--asof/);
  });

  it('lists the definitions as JSON and validates a definitions file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-fcli-'));
    const listed = capture();
    expect(await run(['list'])).toBe(0);
    const l = listed();
    expect(l.count).toBeGreaterThanOrEqual(40);
    expect(l.features[0]).toMatchObject({ name: 'deposit_balance_sum_30d', kind: 'aggregate' });
    vi.restoreAllMocks();
    const file = join(dir, 'defs.yaml');
    writeFileSync(file, 'version: 1\nfeatures:\n  - name: x\n    description: d\n    events: [logn]\n    aggregation: count\n    window: 30d\n');
    await expect(run(['list', '--definitions', file])).rejects.toThrow(/unknown event type "logn"/);
  });
});
