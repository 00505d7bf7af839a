/**
 * The default catalogue's refinancing offer weighs a recent base-rate cut double
 * (`contextWeight: profile.base_rate_change_120d < 0.0 ? 2.0 : 1.0`). Before market-scope
 * features (decision 0027) nothing computed that feature and the weight was always 1: this
 * checks, through the engine and the default catalogue, that a market event ingested without
 * a customer id reaches the decision, both ways and only inside the 120-day window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';

const DAY = 86_400_000;
const NOW = '2026-06-01T10:00:00Z';
const iso = (t: number) => new Date(t).toISOString();
const before = (days: number) => iso(Date.parse(NOW) - days * DAY);
let n = 0;
const rateChange = (occurredAt: string, previousValue: number, value: number) => ({ eventId: `m${++n}`, occurredAt, schemaVersion: 1, type: 'market_event', payload: { kind: 'base_rate_change', region: 'GB', value, previousValue, unit: 'percent' } });
const login = (customerId: string, occurredAt: string) => ({ eventId: `l${++n}`, customerId, occurredAt, schemaVersion: 1, type: 'login', payload: { channel: 'mobile_app' } });
const homeowner = (customerId: string) => ({ customerId, dateOfBirth: '1978-04-02', riskTolerance: 'medium' as const, holdings: ['current_account', 'mortgage'], consents: { marketing: true, personalised_offers: true } });

/** The refinancing candidate's trace in a decision for `customerId` on the app, now. */
async function refinancing(engine: Engine, customerId: string) {
  const d = await engine.decide({ customerId, channel: 'in_app' });
  const t = d.candidates.find((c) => c.actionId === 'refi_fixed_rate');
  expect(t, `refi_fixed_rate in the decision for ${customerId}: ${JSON.stringify(d.candidates.map((c) => [c.actionId, c.status]))}`).toBeDefined();
  return t!;
}

describe('the default catalogue reads the market: refinancing after a base-rate cut', () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('a cut within 120 days doubles the refinancing weight; a rise, or a cut 120 days old, leaves it at 1', async () => {
    const clock = new ManualClock(NOW);
    engine = await createEngine({ store: 'memory', log: { level: 'silent' } }, { clock });
    await engine.upsertCustomers(['a', 'b', 'c'].map(homeowner));
    await engine.ingest(['a', 'b', 'c'].map((c) => login(c, before(2))));

    // No market event yet: the feature is unknown (NaN), the comparison false, the weight 1.
    const none = await refinancing(engine, 'a');
    expect(none.status).not.toBe('excluded');
    expect(none.contextWeight).toBe(1);

    // A rise 30 days ago: the change is positive, the weight stays 1.
    await engine.ingest([rateChange(before(30), 4.0, 4.25)]);
    const rise = await refinancing(engine, 'b');
    expect(rise.contextWeight).toBe(1);

    // A cut 10 days ago outweighs the rise (net −0.25 points in 120 days): doubled.
    await engine.ingest([rateChange(before(10), 4.25, 3.75)]);
    const cut = await refinancing(engine, 'c');
    expect(cut.contextWeight).toBe(2);
    expect((await engine.profile('c', { asOf: 'now' })).features.base_rate_change_120d!.value).toBeCloseTo(-0.25, 12);

    // 120 days after the cut and 140 after the rise, both are out of the window: back to 1.
    clock.advance(111 * DAY);
    const later = await refinancing(engine, 'c');
    expect((await engine.profile('c', { asOf: 'now' })).features.base_rate_change_120d!.value).toBe(0);
    expect(later.contextWeight).toBe(1);
  });
});
