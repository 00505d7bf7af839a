import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/ingest.js';
import { createEngine } from '../../src/engine.js';
import { EVENT_CSV_HEADER, eventToCsvLine } from '../../src/ingest/csvEvents.js';
import { BankEvent } from '../../src/core/events.js';
import { exampleEvents } from '../helpers/events.js';

afterEach(() => vi.restoreAllMocks());

function capture() {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  return () => JSON.parse(out) as Record<string, any>;
}

describe('nextbest ingest', () => {
  it('streams JSONL (gzipped too), writes rejects with line numbers, quarantines them, and is idempotent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-ingest-'));
    const good = exampleEvents('c1');
    const lines = [...good.map((e) => JSON.stringify(e)), '{"eventId": broken', JSON.stringify({ ...good[0], eventId: 'neg', payload: { amount: { minor: -1, currency: 'GBP' } } })];
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const summary = capture();
    const code = await run([file, '--data-dir', join(dir, 'db'), '--batch', '7']);
    const s = summary();
    expect(code).toBe(3);
    expect(s).toMatchObject({ lines: 24, accepted: 22, duplicates: 0, rejected: 2 });
    const rejects = readFileSync(`${file}.rejects.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects.map((r) => r.line)).toEqual([23, 24]);
    expect(rejects[0].issues[0].rule).toBe('json');
    expect(rejects[1].issues[0]).toMatchObject({ field: 'payload.amount.minor', rule: 'sign' });

    vi.restoreAllMocks();
    const gz = join(dir, 'again.jsonl.gz');
    writeFileSync(gz, gzipSync(`${lines.slice(0, 22).join('\n')}\n`));
    const summary2 = capture();
    expect(await run([gz, '--data-dir', join(dir, 'db')])).toBe(0);
    expect(summary2()).toMatchObject({ accepted: 0, duplicates: 22, rejected: 0 });

    const engine = await createEngine({ dataDir: join(dir, 'db'), log: { level: 'silent' } });
    expect(await engine.stores.eventLog.count()).toBe(22);
    const q = await engine.rejects();
    expect(q.map((r) => r.source)).toEqual(['file:events.jsonl', 'file:events.jsonl']);
    await engine.close();
  });

  it('reads the flat CSV format and customer records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-ingest-'));
    const events = exampleEvents('c2').map((e) => BankEvent.parse(e));
    const file = join(dir, 'events.csv');
    writeFileSync(file, [EVENT_CSV_HEADER.join(','), ...events.map(eventToCsvLine), 'too,few,fields'].join('\r\n'));
    const customers = join(dir, 'customers.jsonl');
    writeFileSync(customers, `${JSON.stringify({ customerId: 'c2', riskTolerance: 'low' })}\n${JSON.stringify({ customerId: 'c3', riskTolerance: 'reckless' })}\n`);
    const summary = capture();
    expect(await run([file, '--customers', customers, '--data-dir', join(dir, 'db')])).toBe(3);
    const s = summary();
    expect(s).toMatchObject({ accepted: events.length, rejected: 1, customers: { upserted: 1, rejected: 1 } });
    expect(s.customers.firstRejects[0].issues[0].field).toBe('riskTolerance');
  });

  it('explains a bad command line', async () => {
    await expect(run(['--batch', 'x', 'f.jsonl'])).rejects.toThrow(/--batch must be/);
    await expect(run([])).rejects.toThrow(/at least one FILE/);
  });
});
