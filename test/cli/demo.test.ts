import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/demo.js';
import { createEngine } from '../../src/engine.js';

afterEach(() => vi.restoreAllMocks());

describe('nextbest demo --no-serve', () => {
  it('generates the twin bank, ingests it, reports and exits', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nb-demo-')), 'store');
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    expect(await run(['--customers', '60', '--days', '75', '--seed', '7', '--no-serve', '--no-compare', '--data-dir', dir])).toBe(0);
    vi.restoreAllMocks();
    const accepted = Number(/events: ([\d,]+) accepted/.exec(out)![1]!.replace(/,/g, ''));
    expect(accepted).toBeGreaterThan(1000);
    expect(out).toContain('customers upserted: 60');
    expect(out).toMatch(/models trained in|models not trained/);
    expect(out).toMatch(/next best action on email: /);
    // A day of in-app decisions with a bandit budget, answered by the twin, for `nextbest ope`.
    expect(out).toMatch(/live in-app decisions: \d+ customers, \d+ offers \(\d+ explored/);
    const live = Number(/\((\d+) response events\)/.exec(out)![1]);
    expect(out).toContain('a moment: a £50,000 deposit');
    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' }, delivery: { dispatch: false } });
    // The log also holds the demo's deposits and the receipts of what was delivered.
    const extra = (await engine.stores.eventLog.count({ types: ['delivery_receipt'] })) + (out.match(/idle cash £/g) ?? []).length;
    expect(await engine.stores.eventLog.count()).toBe(accepted + live + extra);
    await engine.close();
  });
});
