import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../src/core/random.js';
import { testApp } from '../helpers/app.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
/** The customers' true acceptance of each action (the test's hidden truth). */
const TRUE_ACCEPTANCE: Record<string, number> = { card: 0.1, saver: 0.5, help: 0.3, fund: 0.2 };

/** Decides for `n` customers on in_app under a bandit exploring half the time, and sends their seeded responses. */
async function loggedBank(h: Awaited<ReturnType<typeof testApp>>, n: number) {
  await h.post('/v1/customers', { customers: Array.from({ length: n }, (_, k) => ({ customerId: `c${k}`, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })) });
  const rng = mulberry32(11);
  const events: unknown[] = [];
  for (let k = 0; k < n; k++) {
    const d = (await h.post('/v1/decisions', { customerId: `c${k}`, channel: 'in_app' })).json();
    const a = d.chosen[0]?.actionId as string | undefined;
    // An exploring draw may offer nothing (logged with its probability, earning 0).
    if (a === undefined) continue;
    const base = { customerId: `c${k}`, occurredAt: '2026-03-01T12:05:00Z', schemaVersion: 1, type: 'offer_response' };
    events.push({ ...base, eventId: `s${k}`, payload: { decisionId: d.decisionId, actionId: a, channel: 'in_app', response: 'shown' } });
    if (rng.next() < TRUE_ACCEPTANCE[a]!) events.push({ ...base, eventId: `a${k}`, payload: { decisionId: d.decisionId, actionId: a, channel: 'in_app', response: 'accepted' } });
  }
  expect((await h.post('/v1/events', { events })).statusCode).toBe(200);
  await h.engine.consumers.caughtUp(10_000);
}

describe('off-policy evaluation over HTTP', () => {
  let h: Awaited<ReturnType<typeof testApp>>;
  afterEach(async () => h?.close());

  it('estimates a lever change from a log the bandit explored, close to the truth', async () => {
    // A second bandit step after learning would change the logging policy mid-way: learning is harmless here, the selection probabilities say what was done.
    // Decision ids seed the bandit's draws: numbered ids make the log, and so the estimates, the same on every run.
    let ids = 0;
    h = await testApp({ decisioning: { catalogue, bandit: { channels: { in_app: 0.6 }, draws: 300 } } }, {}, { newDecisionId: () => `d-ope-${++ids}` });
    await loggedBank(h, 400);
    // A candidate that puts savings first: the saver, taken up half the time.
    const res = await h.post('/v1/ope', { levers: { families: { savings: 100 } }, resamples: 300 });
    expect(res.statusCode).toBe(200);
    const r = res.json();
    expect(r.decisions).toMatchObject({ read: 400, used: 400, heldOut: 0 });
    expect(r.candidate).toMatchObject({ levers: true });
    // One seeded log: the estimates are checked against the truth with room for a sample of
    // 400; interval coverage is measured on the twin.
    // IPS and plain DR carry the odd weight of 1/(ε·share) and may swing; the self-normalised,
    // clipped and switched estimators may not.
    for (const k of ['snips', 'clipped_dr', 'switch_dr'] as const) expect(Math.abs(r.acceptance.estimates[k].estimate - 0.5), k).toBeLessThan(0.15);
    for (const k of ['ips', 'snips', 'dr', 'switch_dr'] as const) {
      const e = r.acceptance.estimates[k];
      expect(e.low).toBeLessThan(e.estimate);
      expect(e.high).toBeGreaterThan(e.estimate);
    }
    expect(r.acceptance.effectiveSampleSize).toBeGreaterThan(20);
    expect(r.acceptance.effectiveSampleSize).toBeLessThan(400);
    // The logged policy (mostly the card) earned less than the candidate is estimated to.
    expect(r.acceptance.estimates.snips.estimate).toBeGreaterThan(r.logged.acceptance);
  });

  it('names the field of a bad request and needs the audit:read scope', async () => {
    h = await testApp({ decisioning: { catalogue } }, { auth: { mode: 'keys' } });
    const auditor = await h.keyFor(['audit:read']);
    const decider = await h.keyFor(['decisions:write']);
    const bad = await h.post('/v1/ope', { bandit: { budget: 2 } }, auditor);
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.issues[0]).toMatchObject({ field: 'bandit.budget' });
    const badCatalogue = await h.post('/v1/ope', { catalogue: { actions: 'none' } }, auditor);
    expect(badCatalogue.statusCode).toBe(422);
    expect(badCatalogue.json().error.details.issues[0].field).toMatch(/^catalogue/);
    expect((await h.post('/v1/ope', {}, decider)).statusCode).toBe(403);
    // An empty log is an answer with a reason, not a crash.
    const empty = await h.post('/v1/ope', {}, auditor);
    expect(empty.statusCode).toBe(422);
    expect(empty.json().error.details.issues[0]).toMatchObject({ field: 'decisions', rule: 'min_length' });
  });
});
