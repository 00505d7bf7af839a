import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
const T0 = '2026-03-01T12:00:00Z';
const customers = (n: number) => Array.from({ length: n }, (_, k) => ({ customerId: `c${k}`, dateOfBirth: '1980-01-01', riskTolerance: 'medium' as const, consents: { marketing: true, personalised_offers: true } }));
const answer = (customerId: string, decisionId: string, actionId: string, k: number, accepted: boolean) => [
  { eventId: `s-${decisionId}`, customerId, occurredAt: T0, schemaVersion: 1, type: 'offer_response', payload: { decisionId, actionId, channel: 'in_app', response: 'shown' } },
  ...(accepted ? [{ eventId: `a-${decisionId}-${k}`, customerId, occurredAt: T0, schemaVersion: 1, type: 'offer_response', payload: { decisionId, actionId, channel: 'in_app', response: 'accepted' } }] : []),
];

describe('the bandit learner in the engine', () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('without a budget or a bandit arm it does not hold decisions back; a bandit arm added later decides on posteriors learnt from the whole log', async () => {
    // The bandit consumer is paused: a decision that waited for it would time out.
    engine = await createEngine({ store: 'memory', log: { level: 'silent' }, decisioning: { catalogue }, consumers: { freshnessTimeoutMs: 300 } }, { clock: new ManualClock(T0), pauseConsumers: ['bandit'] });
    await engine.upsertCustomers(customers(60));
    const events: unknown[] = [];
    let taken = '';
    for (let k = 0; k < 60; k++) {
      const d = await engine.decide({ customerId: `c${k}`, channel: 'in_app' });
      taken = d.chosen[0]!.actionId;
      events.push(...answer(`c${k}`, d.decisionId, taken, k, k % 2 === 0));
    }
    await engine.ingest(events);
    // Fresh for the customer's latest event without the bandit consumer.
    expect((await engine.decide({ customerId: 'c0', channel: 'in_app' })).bandit).toBeUndefined();

    await engine.experiments.create({ id: 'explore-later', status: 'running', control: 'engine', arms: [{ name: 'engine', kind: 'policy', policy: 'engine' }, { name: 'explore', kind: 'bandit', budget: 0.5 }] });
    let armed: Awaited<ReturnType<Engine['decide']>> | undefined;
    for (let k = 0; k < 60 && !armed; k++) {
      const d = await engine.decide({ customerId: `c${k}`, channel: 'in_app' });
      if (d.experiment?.kind === 'bandit') armed = d;
    }
    expect(armed).toBeDefined();
    // 60 trials of the logged action, 30 accepted, on top of the warm start worth 20.
    const arm = armed!.bandit!.arms.find((a) => a.actionId === taken)!;
    expect(arm.alpha + arm.beta).toBeCloseTo(20 + 60, 6);
  });

  it('restarts from its snapshot to the same posteriors as the run before it, replaying only the log after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-bandit-'));
    const config = { dataDir: dir, log: { level: 'silent' as const }, decisioning: { catalogue, bandit: { channels: { in_app: 0.5 } } } };
    engine = await createEngine(config, { clock: new ManualClock(T0) });
    await engine.upsertCustomers(customers(40));
    const events: unknown[] = [];
    for (let k = 0; k < 40; k++) {
      const d = await engine.decide({ customerId: `c${k}`, channel: 'in_app' });
      const a = d.chosen[0]?.actionId;
      if (a) events.push(...answer(`c${k}`, d.decisionId, a, k, k % 3 === 0));
    }
    await engine.ingest(events);
    await engine.consumers.caughtUp(10_000);
    const before = await engine.decide({ customerId: 'c1', channel: 'in_app' }, { decisionId: 'probe-1' });
    await engine.close();
    // The snapshot records the log seq it reflects: a start replays only what came after it.
    const snapshot = JSON.parse(readFileSync(join(dir, 'bandit.snapshot.json'), 'utf8'));
    expect(snapshot.applied).toBeGreaterThan(0);
    expect(snapshot.trials.length).toBeGreaterThan(20);
    engine = await createEngine(config, { clock: new ManualClock(T0) });
    await engine.consumers.caughtUp(10_000);
    const after = await engine.decide({ customerId: 'c1', channel: 'in_app' }, { decisionId: 'probe-2' });
    // Same seed source differs (decision id), so compare the posteriors, not the draws.
    const posteriors = (d: typeof before) => d.bandit!.arms.map((a) => [a.actionId, a.alpha, a.beta]);
    expect(posteriors(after)).toEqual(posteriors(before));
  });
});
