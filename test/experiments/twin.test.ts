import { beforeAll, describe, expect, it } from 'vitest';
import type { BankEvent, StoredEvent } from '../../src/core/events.js';
import { experimentForDecision } from '../../src/experiments/decide.js';
import { parseExperiment, toAssignmentPlan } from '../../src/experiments/definition.js';
import { customerOutcomes, type ExposureDecision } from '../../src/experiments/outcomes.js';
import { experimentResults, type ExperimentResults } from '../../src/experiments/results.js';
import { renderExperimentReport } from '../../src/experiments/reportHtml.js';
import { acceptedValue, generateDemoBank, REFERENCE_POLICIES, type NamedPolicy } from '../../src/simulation/index.js';

const SEED = 15;
const experiment = parseExperiment({
  id: 'rules-vs-holdout',
  status: 'running',
  control: 'holdout',
  arms: [
    { name: 'rules', kind: 'policy', policy: 'rules', weight: 2 },
    { name: 'random', kind: 'policy', policy: 'random', weight: 1 },
    { name: 'holdout', kind: 'holdout', weight: 1 },
  ],
});

/** A small twin run where each customer's arm decides their offers; every decision is logged with its tag. */
async function runTwin(customers: number, days: number): Promise<{ decisions: ExposureDecision[]; events: StoredEvent[]; from: number; until: number }> {
  const plan = toAssignmentPlan([experiment]);
  const byId = new Map([[experiment.id, experiment]]);
  const decisions: ExposureDecision[] = [];
  const policy: NamedPolicy = {
    name: 'experiment',
    decide: async (view, ctx) => {
      const x = experimentForDecision(plan, byId, view.customerId)!;
      const offer = x.heldOut ? null : await REFERENCE_POLICIES[x.treatment!.policy!]!.decide(view, ctx);
      const decidedAt = Date.parse(ctx.date) + 9 * 3_600_000;
      const chosen = offer ? [{ actionId: offer.family, family: offer.family, value: acceptedValue(offer.family, false) }] : [];
      decisions.push({ decisionId: `d-${SEED}-${view.customerId}-${ctx.day}`, customerId: view.customerId, decidedAt, experiment: { experimentId: x.experimentId, arm: x.arm, heldOut: x.heldOut }, chosen });
      return offer;
    },
  };
  const bank = generateDemoBank({ customers, days, seed: SEED, policy });
  const events: StoredEvent[] = [];
  let seq = 0;
  for await (const day of bank.events) for (const e of day as BankEvent[]) events.push({ seq: ++seq, t: Date.parse(e.occurredAt), recordedAt: 0, event: e });
  const from = Math.min(...decisions.map((d) => d.decidedAt));
  return { decisions, events, from, until: from + days * 86_400_000 };
}

describe('KPIs per arm on a small twin run', () => {
  let run: Awaited<ReturnType<typeof runTwin>>;
  let results: ExperimentResults;
  beforeAll(async () => {
    run = await runTwin(600, 60);
    const outcomes = customerOutcomes(run.decisions, run.events, { experimentId: experiment.id, until: run.until });
    results = experimentResults(experiment, outcomes, { from: run.from, until: run.until });
    if (process.env.SHOW_MEASURES) console.log(JSON.stringify({ arms: results.arms.map(({ survival: _s, ...a }) => a), srm: results.srm, comparisons: results.comparisons }, null, 1));
  }, 120_000);

  it('splits customers by weight without a sample-ratio mismatch, and the holdout is never contacted', () => {
    const arm = (name: string) => results.arms.find((a) => a.arm === name)!;
    expect(arm('rules').customers + arm('random').customers + arm('holdout').customers).toBeGreaterThan(500);
    expect(results.srm.alert).toBe(false);
    expect(arm('holdout').contactsPerCustomer).toBe(0);
    expect(arm('holdout').acceptanceRate).toBe(0);
    expect(arm('rules').contactsPerCustomer).toBeGreaterThan(0);
    // the twin's offer_response events link back to the logged decisions
    expect(arm('rules').acceptanceRate).toBeGreaterThan(0.05);
    expect(arm('rules').valuePerCustomer).toBeGreaterThan(0);
  });

  it('compares each arm with the control: acceptance and value lift with intervals, engagement with CUPED, churn hazard ratio', () => {
    const rules = results.comparisons.find((c) => c.arm === 'rules')!;
    expect(rules.control).toBe('holdout');
    if ('unavailable' in rules.acceptance) throw new Error(rules.acceptance.unavailable);
    expect(rules.acceptance.newcombeInterval[0]).toBeGreaterThan(0);
    expect(rules.acceptance.pValue).toBeLessThan(0.001);
    if ('unavailable' in rules.value) throw new Error(rules.value.unavailable);
    expect(rules.value.interval[0]).toBeGreaterThan(0);
    if ('unavailable' in rules.engagement) throw new Error(rules.engagement.unavailable);
    expect(rules.engagement.varianceReduction).toBeGreaterThan(0);
    if (!('unavailable' in rules.churn)) {
      expect(rules.churn.interval[0]).toBeLessThan(rules.churn.hazardRatio);
      expect(rules.churn.interval[1]).toBeGreaterThan(rules.churn.hazardRatio);
    }
    for (const a of results.arms) if (a.customers > 0) expect(a.survival, a.arm).not.toBeNull();
  });

  it('engagement beyond logins (products held, savings), arrears and overdrawn guardrails, and a daily revenue look', () => {
    const rules = results.comparisons.find((c) => c.arm === 'rules')!;
    for (const k of ['products', 'savings'] as const) {
      const t = rules[k];
      if ('unavailable' in t) throw new Error(`${k}: ${t.unavailable}`);
      // (exposure is on the twin's first day, so there is no pre-period to adjust with: CUPED changes nothing)
      expect(t.varianceReduction, k).toBeGreaterThanOrEqual(0);
      expect(t.test.interval[0]).toBeLessThan(t.test.interval[1]);
    }
    for (const g of ['arrears', 'overdrawn'] as const) expect('unavailable' in rules.guardrails[g], g).toBe(false);
    const holdout = results.arms.find((a) => a.arm === 'holdout')!;
    expect(holdout.productsPerCustomer).toBeGreaterThan(1);
    expect(holdout.arrearsRate).toBeGreaterThan(0);
    // no CLV model served these decisions: said, not a number
    expect(rules.clv).toMatchObject({ unavailable: expect.stringContaining('CLV') });
    const value = results.daily.filter((d) => d.arm === 'rules' && d.metric === 'value');
    expect(value.length).toBeGreaterThan(40);
    for (let i = 1; i < value.length; i++) expect(value[i]!.pValue).toBeLessThanOrEqual(value[i - 1]!.pValue);
    expect(value[value.length - 1]!.interval[0]).toBeGreaterThan(0);
  });

  it('daily looks: a 7-day acceptance lift whose always-valid p-value never rises and ends significant', () => {
    const daily = results.daily.filter((d) => d.arm === 'rules' && d.metric === 'acceptance');
    expect(daily.length).toBeGreaterThan(40);
    expect(daily[0]!.day).toBe(7);
    for (let i = 1; i < daily.length; i++) expect(daily[i]!.pValue).toBeLessThanOrEqual(daily[i - 1]!.pValue);
    const last = daily[daily.length - 1]!;
    expect(last.interval[0]).toBeGreaterThan(0);
    expect(last.pValue).toBeLessThan(0.05);
  });

  it('an injected assignment bug (a third of the rules arm’s customers lost from the log) raises the SRM alert', () => {
    const lost = new Set(run.decisions.filter((d) => d.experiment!.arm === 'rules').map((d) => d.customerId).filter((_, i) => i % 3 === 0));
    const broken = run.decisions.filter((d) => !lost.has(d.customerId));
    const r = experimentResults(experiment, customerOutcomes(broken, run.events, { experimentId: experiment.id, until: run.until }), { from: run.from, until: run.until });
    expect(r.srm.alert).toBe(true);
    expect(r.srm.pValue).toBeLessThan(0.001);
    expect(renderExperimentReport(experiment, r, 0)).toContain('Sample-ratio mismatch');
    expect(renderExperimentReport(experiment, results, 0)).toContain('Sample ratio as designed');
  });

  it('writes a self-contained HTML report: inline SVG lift and Kaplan–Meier charts, no script, nothing fetched', () => {
    const html = renderExperimentReport(experiment, results, Date.parse('2026-03-01T00:00:00Z'));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)?.length).toBe(2);
    expect(html).toContain('Kaplan–Meier');
    expect(html).toContain('rules vs holdout');
    expect(html).not.toMatch(/<script|src=|href=|@import|url\(/i);
    // every arm's KM curve is drawn as a path
    expect(html.match(/stroke-width="2"/g)!.length).toBeGreaterThanOrEqual(3 + 2);
  });
});
