import { describe, it, expect } from 'vitest';
import { consent, response, rig } from './rig.js';

const DAY = 86_400_000;
const chosenIds = (r: { chosen: { actionId: string }[] }) => r.chosen.map((c) => c.actionId);
const exclusion = (r: { candidates: { actionId: string; excludedBy?: { kind: string; rule: string } }[] }, id: string) => r.candidates.find((c) => c.actionId === id)?.excludedBy;

// Scenario tests (STYLE.md 10): set up customers and events, move the clock, decide, assert.
describe('decisioning scenarios', () => {
  it('arbitrates on expected net value (propensity × context weight × value × levers less costs), ties broken by action id', async () => {
    const { d, customer } = rig();
    customer({ customerId: 'c1' }, { idle_cash: 20_000 });
    const r = await d.decide({ customerId: 'c1', channel: 'in_app', n: 3 });
    // card 0.1 × £100 − £1 in-app contact = 9 ties fund 0.05 × £200 − £1 = 9: card wins on its id; then saver (4), help (3).
    expect(chosenIds(r)).toEqual(['card', 'fund', 'saver']);
    expect(r.candidates.find((c) => c.actionId === 'card')).toMatchObject({ status: 'chosen', priority: 9, propensity: 0.1, propensitySource: 'prior', value: 100, lever: 1, contextWeight: 1, rank: 1 });
    expect(r.candidates.find((c) => c.actionId === 'card')!.netValue).toEqual({ valueSource: 'catalogue', budget: 'marketing', expectedValue: 10, contactCost: 1, fatigueCost: 0, harmChance: 0, harmCost: 0 });
    expect(r.explanation.noAction).toEqual({ chosen: false, reason: 'card has an expected net value of £9.00, above the £0 of doing nothing' });
    expect(r.candidates.find((c) => c.actionId === 'help')).toMatchObject({ status: 'ranked', rank: 4 });
  });

  it('eligibility: a customer under 18 gets no product, only service guidance', async () => {
    const { d, customer } = rig();
    customer({ customerId: 'teen', dateOfBirth: '2010-01-01' }, { idle_cash: 20_000 });
    const r = await d.decide({ customerId: 'teen', channel: 'in_app', n: 3 });
    expect(chosenIds(r)).toEqual(['help']);
    for (const id of ['card', 'saver', 'fund']) expect(exclusion(r, id)).toMatchObject({ kind: 'eligibility', rule: 'adult_resident' });
    customer({ customerId: 'abroad', residentInCountry: false });
    expect(exclusion(await d.decide({ customerId: 'abroad', channel: 'in_app' }), 'card')).toMatchObject({ kind: 'eligibility' });
  });

  it('applicability: no card offer to a customer who already holds one; no fund without idle cash', async () => {
    const { d, customer } = rig();
    customer({ customerId: 'c1', holdings: ['credit_card'] }, { idle_cash: 500 });
    const r = await d.decide({ customerId: 'c1', channel: 'in_app', n: 3 });
    expect(exclusion(r, 'card')).toMatchObject({ kind: 'applicability', rule: 'card#0', reason: 'already holds a credit card' });
    expect(exclusion(r, 'fund')).toMatchObject({ kind: 'applicability', rule: 'fund#0' });
    expect(chosenIds(r)).toEqual(['saver', 'help']);
  });

  it('suitability: no credit under financial stress or to a vulnerable customer; no product above the risk tolerance', async () => {
    const { d, customer } = rig();
    customer({ customerId: 'stressed' }, { overdraft_days_90d: 25, idle_cash: 20_000 });
    customer({ customerId: 'vulnerable', vulnerabilityFlags: ['bereavement'] });
    customer({ customerId: 'cautious', riskTolerance: 'low' }, { idle_cash: 20_000 });
    customer({ customerId: 'unknown_risk', riskTolerance: undefined }, { idle_cash: 20_000 });
    const stressed = await d.decide({ customerId: 'stressed', channel: 'in_app', n: 3 });
    expect(exclusion(stressed, 'card')).toMatchObject({ kind: 'suitability', rule: 'no_credit_in_stress' });
    expect(stressed.signals).toEqual({ stress: true });
    expect(exclusion(await d.decide({ customerId: 'vulnerable', channel: 'in_app' }), 'card')).toMatchObject({ kind: 'suitability', rule: 'vulnerable_care' });
    expect(exclusion(await d.decide({ customerId: 'cautious', channel: 'in_app' }), 'fund')).toMatchObject({ kind: 'suitability', rule: 'risk_fits' });
    expect(exclusion(await d.decide({ customerId: 'unknown_risk', channel: 'in_app' }), 'fund')).toMatchObject({ kind: 'suitability', rule: 'risk_fits' });
  });

  it('consent: no marketing without consent; a withdrawal on one channel applies to that channel only', async () => {
    const { d, customer, emit, clock } = rig();
    customer({ customerId: 'none', consents: {} });
    const r = await d.decide({ customerId: 'none', channel: 'in_app', n: 5 });
    expect(chosenIds(r)).toEqual(['help']);
    expect(exclusion(r, 'card')).toMatchObject({ kind: 'consent', rule: 'consent_marketing' });

    customer({ customerId: 'c2' });
    await emit(consent('c2', false, '2026-03-02T09:00:00Z', 'email'));
    expect(exclusion(await d.decide({ customerId: 'c2', channel: 'email' }), 'card')).toMatchObject({ kind: 'consent', reason: expect.stringContaining('withdrawn') });
    expect(chosenIds(await d.decide({ customerId: 'c2', channel: 'in_app' }))).toEqual(['card']);
    // A change dated after the decision time does not apply yet; once the clock passes it, it does.
    await emit(consent('c2', false, '2026-03-03T09:00:00Z'));
    expect(exclusion(await d.decide({ customerId: 'c2', channel: 'in_app' }), 'card')).toBeUndefined();
    clock.advance(DAY);
    expect(exclusion(await d.decide({ customerId: 'c2', channel: 'in_app' }), 'card')).toMatchObject({ kind: 'consent' });
  });

  it('contact policy: frequency caps per channel and across channels, over their windows', async () => {
    const { d, customer, clock } = rig();
    customer({ customerId: 'c1' });
    expect(chosenIds(await d.decide({ customerId: 'c1', channel: 'push' }))).toEqual(['card']);
    const second = await d.decide({ customerId: 'c1', channel: 'push' });
    expect(second.chosen).toEqual([]);
    expect(exclusion(second, 'card')).toMatchObject({ kind: 'contact', rule: 'frequency_cap' });
    clock.advance(DAY);
    expect(chosenIds(await d.decide({ customerId: 'c1', channel: 'push' }))).toEqual(['card']);
    // Two contacts so far in 7 days; the all-channel cap of 3 leaves one more, on any channel.
    expect(chosenIds(await d.decide({ customerId: 'c1', channel: 'email', n: 3 }))).toEqual(['card']);
    expect((await d.decide({ customerId: 'c1', channel: 'in_app' })).chosen).toEqual([]);
    clock.advance(7 * DAY);
    expect((await d.decide({ customerId: 'c1', channel: 'in_app' })).chosen).toHaveLength(1);
  });

  it('contact policy: a decline starts a 30-day cool-down for that action', async () => {
    const { d, customer, emit, clock, iso } = rig({ start: '2026-01-05T10:00:00Z' });
    customer({ customerId: 'c1' });
    const first = await d.decide({ customerId: 'c1', channel: 'in_app' });
    expect(chosenIds(first)).toEqual(['card']);
    await emit(response('c1', first.decisionId, 'card', 'declined', iso()));
    clock.advance(8 * DAY);
    const after = await d.decide({ customerId: 'c1', channel: 'in_app' });
    expect(exclusion(after, 'card')).toMatchObject({ kind: 'contact', rule: 'decline_cooldown' });
    expect(chosenIds(after)).toEqual(['saver']);
    clock.advance(30 * DAY);
    expect(chosenIds(await d.decide({ customerId: 'c1', channel: 'in_app' }))).toEqual(['card']);
    // The response is linked back to its decision.
    expect((await d.decision(first.decisionId)).responses).toEqual([{ actionId: 'card', channel: 'in_app', response: 'declined', at: '2026-01-05T10:00:00.000Z' }]);
  });

  it("contact policy: quiet hours in the customer's own time zone", async () => {
    const { d, customer } = rig({ start: '2026-03-02T22:30:00Z' });
    customer({ customerId: 'london', timeZone: 'Europe/London' });
    customer({ customerId: 'new_york', timeZone: 'America/New_York' });
    const london = await d.decide({ customerId: 'london', channel: 'push' });
    expect(london.chosen).toEqual([]);
    expect(exclusion(london, 'card')).toMatchObject({ kind: 'contact', rule: 'quiet_hours' });
    expect(chosenIds(await d.decide({ customerId: 'new_york', channel: 'push' }))).toEqual(['card']); // 17:30 in New York
    expect(chosenIds(await d.decide({ customerId: 'london', channel: 'in_app' }))).toEqual(['card']); // quiet hours cover push only
  });

  it('contact policy: at most 2 actions per session', async () => {
    const { d, customer } = rig({ catalogue: { ...(await import('./rig.js')).scenarioCatalogue(), contactPolicy: { caps: [], declineCooldownDays: 30, maxActionsPerSession: 2, channelDailyCapacity: {} } } });
    customer({ customerId: 'c1' }, { idle_cash: 20_000 });
    expect(chosenIds(await d.decide({ customerId: 'c1', channel: 'in_app', n: 3, sessionId: 's1' }))).toEqual(['card', 'fund']);
    const again = await d.decide({ customerId: 'c1', channel: 'in_app', n: 3, sessionId: 's1' });
    expect(again.chosen).toEqual([]);
    expect(exclusion(again, 'card')).toMatchObject({ kind: 'contact', rule: 'session_limit' });
    expect(await d.decide({ customerId: 'c1', channel: 'in_app', n: 3, sessionId: 's2' }).then((r) => r.chosen.length)).toBe(2);
  });

  it('volume: an action with a daily capacity of 2 is chosen at most twice a day across customers', async () => {
    const { d, customer, clock } = rig();
    for (const id of ['a', 'b', 'c']) customer({ customerId: id, consents: {} });
    expect(chosenIds(await d.decide({ customerId: 'a', channel: 'in_app' }))).toEqual(['help']);
    expect(chosenIds(await d.decide({ customerId: 'b', channel: 'in_app' }))).toEqual(['help']);
    const third = await d.decide({ customerId: 'c', channel: 'in_app' });
    expect(third.chosen).toEqual([]);
    expect(exclusion(third, 'help')).toMatchObject({ kind: 'volume', rule: 'action_capacity' });
    expect(third.capacityRefused).toEqual(['action:help:2026-03-02']);
    clock.advance(DAY);
    expect(chosenIds(await d.decide({ customerId: 'c', channel: 'in_app' }))).toEqual(['help']);
  });

  it('validity dates and channel treatments', async () => {
    const { d, customer, clock } = rig();
    customer({ customerId: 'c1' });
    expect(exclusion(await d.decide({ customerId: 'c1', channel: 'in_app' }), 'spring')).toMatchObject({ kind: 'validity' });
    clock.set('2026-04-10T10:00:00Z');
    expect(chosenIds(await d.decide({ customerId: 'c1', channel: 'in_app' }))).toEqual(['spring']);
    expect(exclusion(await d.decide({ customerId: 'c1', channel: 'push' }), 'spring')).toMatchObject({ kind: 'channel' });
    clock.set('2026-05-01T00:00:00Z');
    expect(exclusion(await d.decide({ customerId: 'c1', channel: 'email' }), 'spring')).toMatchObject({ kind: 'validity' });
  });

  it('business levers change the winner at run time and are logged with the decision', async () => {
    const { d, customer } = rig();
    customer({ customerId: 'c1' });
    customer({ customerId: 'c2' });
    expect(chosenIds(await d.decide({ customerId: 'c1', channel: 'in_app' }))).toEqual(['card']);
    await d.setLevers({ families: { savings: 3 } });
    const r = await d.decide({ customerId: 'c2', channel: 'in_app' });
    expect(chosenIds(r)).toEqual(['saver']);
    expect(r.levers).toEqual({ families: { savings: 3 }, actions: {} });
    expect(r.explanation.winner!.reasonCodes.map((c) => c.code)).toContain('BUSINESS_LEVER');
    await expect(d.setLevers({ families: { savings: -1 } })).rejects.toThrow(/levers.families.savings/);
  });

  it('explains: exclusions, reason codes and the FCA targeted-support wording', async () => {
    const { d, customer } = rig();
    customer({ customerId: 'saver1', holdings: ['credit_card'], attributes: { segment: 'mass_affluent' } }, { idle_cash: 25_000 });
    const r = await d.decide({ customerId: 'saver1', channel: 'email' });
    expect(chosenIds(r)).toEqual(['fund']);
    const w = r.explanation.winner!;
    expect(w.targetedSupport).toEqual({ group: 'risk=medium/age_band=under_50', wording: 'This is a suggestion for customers in a similar position, not personal advice.' });
    expect(w.customerSentence).toBe("We're suggesting Balanced fund because you hold over £10,000 in cash. This is a suggestion for customers in a similar position, not personal advice.");
    expect(w.reasonCodes.map((c) => c.code)).toEqual(['RULE_FUND_0', 'PRIOR_PROPENSITY', 'VALUE_MARGIN', 'NET_VALUE', 'AHEAD_OF_RUNNER_UP']);
    expect(r.explanation.excluded).toContainEqual({ actionId: 'card', kind: 'applicability', rule: 'card#0', reason: 'already holds a credit card' });
    expect(r.explanation.excluded).toContainEqual({ actionId: 'help', kind: 'channel', rule: 'treatment', reason: 'has no treatment for the email channel' });
  });

  it('a rule that fails at run time fails closed and says why', async () => {
    const { scenarioCatalogue } = await import('./rig.js');
    const cat = scenarioCatalogue();
    cat.actions[1]!.policies = [{ kind: 'eligibility', when: 'customer.attributes.missing_key == "x"', reason: 'needs the attribute' }];
    const { d, customer } = rig({ catalogue: cat });
    customer({ customerId: 'c1' });
    const r = await d.decide({ customerId: 'c1', channel: 'in_app', n: 5 });
    expect(exclusion(r, 'saver')).toMatchObject({ kind: 'eligibility', error: expect.stringContaining('missing_key') });
  });

  it('GDPR erasure removes the decisions, contacts and declines of the customer', async () => {
    const { d, customer, contacts, emit, iso } = rig();
    customer({ customerId: 'c1' });
    customer({ customerId: 'c2' });
    const r = await d.decide({ customerId: 'c1', channel: 'in_app' });
    const other = await d.decide({ customerId: 'c2', channel: 'in_app' });
    await emit(response('c1', r.decisionId, 'card', 'declined', iso()));
    await d.onErase('c1');
    await expect(d.decision(r.decisionId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await contacts.history('c1', 0)).toEqual({ contacts: [], declines: [] });
    expect((await d.decision(other.decisionId)).customerId).toBe('c2');
  });

  it('rejects bad requests naming the field, and unknown customers', async () => {
    const { d, customer } = rig();
    customer({ customerId: 'c1' });
    await expect(d.decide({ customerId: 'c1', channel: 'fax' as never })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ field: 'channel', rule: 'enum' })] });
    await expect(d.decide({ customerId: 'c1', channel: 'in_app', n: 0 })).rejects.toMatchObject({ issues: [expect.objectContaining({ field: 'n', rule: 'min' })] });
    await expect(d.decide({ customerId: 'ghost', channel: 'in_app' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
