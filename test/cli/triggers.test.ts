import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { run as triggers } from '../../src/cli/triggers.js';
import { run as deliveries } from '../../src/cli/deliveries.js';
import { createEngine } from '../../src/engine.js';
import { captureStdio } from '../helpers/stdio.js';

const io = captureStdio();
const DAY = 86_400_000;

describe('nextbest triggers and deliveries', () => {
  it('list, test a customer\'s history (the set in force and a YAML set), import, then the outbox by status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-cli-trig-'));
    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' }, delivery: { dispatch: false } });
    const now = Date.now();
    // A record with a risk tolerance and holdings: with prior propensities only (no models), a
    // card for a customer the bank knows nothing about is worth less than its priced harm.
    await engine.upsertCustomers([{ customerId: 'c1', dateOfBirth: '1980-01-01', preferredChannel: 'email', riskTolerance: 'medium', holdings: ['current_account'], consents: { marketing: true, personalised_offers: true } }]);
    const dep = (id: string, days: number, minor: number) => ({ eventId: id, customerId: 'c1', occurredAt: new Date(now - days * DAY).toISOString(), schemaVersion: 1, type: 'deposit', payload: { amount: { minor, currency: 'GBP' } } });
    await engine.ingest([dep('a', 40, 6_000_000), dep('b', 20, 100_000)]);
    const d = await engine.decide({ customerId: 'c1', channel: 'in_app', deliver: true });
    expect(d.chosen.length, JSON.stringify(d.explanation.excluded.slice(0, 5))).toBeGreaterThan(0);
    await engine.close();

    expect(await triggers(['list', '--data-dir', dir])).toBe(0);
    expect((JSON.parse(io.out) as { triggers: { id: string }[] }).triggers).toHaveLength(3);
    io.out = '';
    expect(await triggers(['test', '--customer', 'c1', '--data-dir', dir])).toBe(0);
    expect((JSON.parse(io.out) as { fires: { triggerId: string; eventId: string }[] }).fires.map((f) => `${f.triggerId} ${f.eventId}`)).toEqual(['large_deposit_investment a']);
    // A lower threshold in a YAML set to try: both deposits fire (they are 20 days apart, the guard is 7).
    const file = join(dir, 'try.yaml');
    writeFileSync(file, 'triggers:\n  - id: any_deposit\n    kind: event\n    events: [deposit]\n    condition: "event.payload.amount.minor >= 50000"\n    consider: { families: [savings] }\n    oncePer: 7d\n');
    io.out = '';
    expect(await triggers(['test', '--customer', 'c1', '--file', file, '--data-dir', dir])).toBe(0);
    expect((JSON.parse(io.out) as { fires: unknown[] }).fires).toHaveLength(2);
    io.out = '';
    expect(await triggers(['import', file, '--data-dir', dir])).toBe(0);
    expect(JSON.parse(io.out)).toEqual({ imported: ['any_deposit'] });
    io.out = '';
    expect(await triggers(['list', '--data-dir', dir])).toBe(0);
    expect((JSON.parse(io.out) as { triggers: { id: string }[] }).triggers.map((t) => t.id)).toContain('any_deposit');
    await expect(triggers(['test', '--data-dir', dir])).rejects.toThrow(/--customer/);

    io.out = '';
    expect(await deliveries(['--status', 'pending', '--data-dir', dir])).toBe(0);
    const listed = JSON.parse(io.out) as { counts: { pending: number }; deliveries: { channel: string }[] };
    expect(listed.counts.pending).toBe(1);
    expect(listed.deliveries[0]!.channel).toBe('in_app');
    await expect(deliveries(['--status', 'lost', '--data-dir', dir])).rejects.toThrow(/--status/);
  });
});
