import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/ingest.js';
import { createEngine } from '../../src/engine.js';
import { EVENT_CSV_HEADER, eventToCsvLine } from '../../src/ingest/csvEvents.js';
import { BankEvent } from '../../src/core/events.js';
import { exampleEvents } from '../helpers/events.js';

afterEach(() => vi.restoreAllMocks());

const quiet = () => vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

/** Events in the store of a data dir. */
async function stored(dataDir: string): Promise<number> {
  const engine = await createEngine({ dataDir, log: { level: 'silent' } });
  try {
    return await engine.stores.eventLog.count();
  } finally {
    await engine.close();
  }
}

/** `count` distinct valid JSONL lines for one customer. */
function jsonl(count: number): string[] {
  const base = exampleEvents('c-trunc').find((e) => e.type === 'deposit')!;
  return Array.from({ length: count }, (_, i) => JSON.stringify({ ...base, eventId: `dep-${i}` }));
}

describe('nextbest ingest: whole-file faults', () => {
  it('rejects a CSV with wrong columns before storing anything, customers included, naming the columns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-ingestf-'));
    const events = exampleEvents('c1').map((e) => BankEvent.parse(e));
    const header = EVENT_CSV_HEADER.filter((c) => c !== 'occurredAt').concat('colour');
    const file = join(dir, 'events.csv');
    writeFileSync(file, [header.join(','), ...events.map(eventToCsvLine)].join('\n'));
    const customers = join(dir, 'customers.jsonl');
    writeFileSync(customers, `${JSON.stringify({ customerId: 'c1' })}\n`);
    const err = await run([file, '--customers', customers, '--data-dir', join(dir, 'db')]).catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((err as Error).message).toContain('missing column occurredAt');
    expect((err as Error).message).toContain('unknown column "colour"');
    const engine = await createEngine({ dataDir: join(dir, 'db'), log: { level: 'silent' } });
    expect(await engine.customer('c1').catch(() => undefined)).toBeUndefined();
    expect(await engine.stores.eventLog.count()).toBe(0);
    await engine.close();
  });

  it('treats an empty file, or a CSV with only a header, as an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-ingestf-'));
    writeFileSync(join(dir, 'empty.jsonl'), '');
    writeFileSync(join(dir, 'blank.jsonl.gz'), gzipSync('\n\n'));
    writeFileSync(join(dir, 'header.csv'), `${EVENT_CSV_HEADER.join(',')}\n`);
    for (const f of ['empty.jsonl', 'blank.jsonl.gz', 'header.csv']) {
      await expect(run([join(dir, f), '--data-dir', join(dir, 'db')]), f).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ rule: 'empty_file' }] } });
    }
  });

  it('stops at a truncated gzip naming the last line processed, and --from-line resumes to exactly the whole file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-ingestf-'));
    const lines = jsonl(2000);
    const whole = gzipSync(`${lines.join('\n')}\n`);
    const file = join(dir, 'events.jsonl.gz');
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
    quiet();
    const err = (await run([file, '--data-dir', join(dir, 'db'), '--batch', '100']).catch((e: unknown) => e)) as Error & { code: string; details: { processedThroughLine: number; resumeFromLine: number } };
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.message).toMatch(/events\.jsonl\.gz ends early after line \d+: unexpected end of file/);
    const through = err.details.processedThroughLine;
    expect(through % 100).toBe(0); // whole pages only
    expect(err.message).toContain(`through line ${through} was processed`);
    expect(err.message).toContain(`--from-line ${through + 1}`);
    expect(await stored(join(dir, 'db'))).toBe(through); // exactly the lines it reports, no more
    writeFileSync(file, whole);
    expect(await run([file, '--data-dir', join(dir, 'db'), '--from-line', String(err.details.resumeFromLine)])).toBe(0);
    expect(await stored(join(dir, 'db'))).toBe(2000);
  });

  it('reports a file truncated inside its first page as nothing stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-ingestf-'));
    const whole = gzipSync(`${jsonl(300).join('\n')}\n`);
    const file = join(dir, 'events.jsonl.gz');
    writeFileSync(file, whole.subarray(0, whole.length - 20));
    await expect(run([file, '--data-dir', join(dir, 'db')])).rejects.toThrow(/Nothing from this file was stored/);
  });
});
