/**
 * Explanations computed from the decision, not templated guesses: the rules that excluded
 * each action, the factors of the winner's priority as reason codes, the propensity
 * model's top TreeSHAP contributions, and one sentence a customer can read.
 */
import type { CompiledCatalogue, CompiledRule } from './compile.js';
import type { Evaluation } from './decide.js';
import type { PropensityScorer } from './scoring.js';
import { customerLabel } from './sentences.js';
import type { CandidateTrace, DecisionInputs, Explanation, ReasonCode } from './trace.js';

/** £ with thousands separators (toLocaleString costs microseconds per call on the hot path). */
const gbp = (x: number) => `£${String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
const gbp2 = (x: number) => `${x < 0 ? '-' : ''}£${Math.abs(x).toFixed(2)}`;
const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;

/** A rule's reason code, RULE_ and its name in capitals (worked out once per compiled rule). */
const ruleCodes = new WeakMap<CompiledRule, string>();
function ruleCode(r: CompiledRule): string {
  let code = ruleCodes.get(r);
  if (code === undefined) ruleCodes.set(r, (code = `RULE_${r.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`));
  return code;
}

/** Builds the explanation of a decision whose winner (if any) is `ev.traces[winner]`. */
export function explain(cat: CompiledCatalogue, ev: Evaluation, inputs: DecisionInputs, winner: number | undefined, scorer: PropensityScorer, topK = 3, shap = true): Explanation {
  const excluded: Explanation['excluded'] = [];
  for (const t of ev.traces) if (t.status === 'excluded' && t.excludedBy) excluded.push({ actionId: t.actionId, kind: t.excludedBy.kind, rule: t.excludedBy.rule, reason: t.excludedBy.reason });
  if (winner === undefined) {
    const lost = ev.traces.filter((t) => t.excludedBy?.rule === 'no_action').length;
    const reason = lost > 0 ? `no action: none of the ${lost} action${lost === 1 ? '' : 's'} that passed every policy had an expected net value above £0 (value less contact, fatigue and harm costs)` : ev.ranked.length > 0 ? 'no action: every action worth making was held back by a contact or capacity limit' : 'no action: no action passed every policy';
    return { excluded, noAction: { chosen: true, reason } };
  }
  const t = ev.traces[winner]!;
  const a = cat.byId.get(t.actionId)!;
  const codes: ReasonCode[] = [];
  const because: string[] = [];
  for (const r of a.rules) {
    if (!r.because) continue;
    because.push(r.because);
    codes.push({ code: ruleCode(r), text: r.because });
  }
  // The other ranked actions, best first: the runner-up and their mean propensity.
  let runnerUp: CandidateTrace | undefined;
  let otherSum = 0;
  let others = 0;
  for (const i of ev.ranked) {
    const o = ev.traces[i]!;
    if (o.actionId === t.actionId) continue;
    runnerUp ??= o;
    otherSum += o.propensity!;
    others++;
  }
  const meanOther = others > 0 ? otherSum / others : 0;
  if (t.propensitySource === 'model') {
    codes.push({ code: 'MODEL_PROPENSITY', text: `model ${t.modelVersion} puts the chance of take-up at ${pct(t.propensity!)}` });
  } else {
    codes.push({ code: 'PRIOR_PROPENSITY', text: `no model scores this action for this customer yet; its prior take-up rate ${pct(t.propensity!)} is used` });
  }
  if (others > 0 && t.propensity! >= 1.5 * meanOther) codes.push({ code: 'HIGH_PROPENSITY', text: `more likely to be taken up than the other eligible actions (${pct(t.propensity!)} against ${pct(meanOther)} on average)` });
  const model = a.action.value.model;
  codes.push(
    model === 'retention'
      ? { code: 'VALUE_RETENTION', text: `keeping the customer is worth about ${gbp(t.value!)} (lifetime value x the chance the customer is leaving x the share of it the action removes)` }
      : { code: model === 'margin' ? 'VALUE_MARGIN' : 'VALUE_CLV', text: `worth about ${gbp(t.value!)} ${model === 'margin' ? 'in first-year margin' : 'in customer lifetime value'} if taken up` },
  );
  const nv = t.netValue;
  if (nv) {
    const costs = nv.contactCost + nv.fatigueCost + nv.harmCost;
    codes.push({ code: 'NET_VALUE', text: `expected net value ${gbp2(t.priority!)}: ${gbp2(nv.expectedValue)} expected value less ${gbp2(nv.contactCost)} contact cost, ${gbp2(nv.fatigueCost)} fatigue and ${gbp2(nv.harmCost)} expected harm (${gbp2(costs)} in all); doing nothing is worth £0` });
    if (nv.harmChance > 0) codes.push({ code: 'HARM_RISK', text: `a ${pct(nv.harmChance)} chance the product does not suit the customer is priced in` });
  }
  if (t.contextWeight! > 1) codes.push({ code: 'CONTEXT_FIT', text: `the moment suits it (context weight ${t.contextWeight!.toFixed(2)})` });
  if (t.contextWeight! < 1) codes.push({ code: 'CONTEXT_DAMPED', text: `the moment suits it less than usual (context weight ${t.contextWeight!.toFixed(2)})` });
  if (t.lever! !== 1) codes.push({ code: 'BUSINESS_LEVER', text: `the bank weights it by ${t.lever!.toFixed(2)}` });
  if (runnerUp) codes.push({ code: 'AHEAD_OF_RUNNER_UP', text: `priority ${t.priority!.toPrecision(3)} against ${runnerUp.priority!.toPrecision(3)} for ${runnerUp.actionId}` });
  else codes.push({ code: 'ONLY_ELIGIBLE', text: 'the only action that passed every eligibility, suitability and consent policy' });

  const contributions = shap && t.propensitySource === 'model' ? scorer.explain(a.vars, ev.rows, topK) : [];
  // A constant model (one leaf per tree) moves no feature: its score is its base rate, and a list of zeros explains nothing.
  const drivers = contributions.some((c) => Math.abs(c.contribution) > 1e-12);
  if (contributions.length > 0 && !drivers) codes.push({ code: 'MODEL_NO_DRIVERS', text: `model ${t.modelVersion} gives every customer the same score: it comes from the model's base rate, not from any of this customer's features` });
  const labels = cat.catalogue.featureLabels;
  const topContributions = drivers ? contributions.map((c) => ({ ...c, label: labels[c.feature] ?? c.feature.replace(/_/g, ' ') })) : [];
  // The customer reads only reasons with a human label that is not a protected characteristic, a vulnerability or a code (sentences.ts).
  let sentence: string;
  if (because.length > 0) sentence = `We're suggesting ${a.action.name} because ${joinWords(because)}.`;
  else {
    const up = topContributions.filter((c) => c.contribution > 0).flatMap((c) => {
      const label = customerLabel(c.feature, labels);
      return label ? [`your ${label}`] : [];
    });
    sentence = up.length > 0 ? `We're suggesting ${a.action.name} because of ${joinWords(up.slice(0, 2))}.` : `We're suggesting ${a.action.name}: ${a.action.message.body}`;
  }
  const winnerOut: NonNullable<Explanation['winner']> = { actionId: t.actionId, reasonCodes: codes, topContributions, customerSentence: sentence };
  if (a.action.targetedSupport && cat.catalogue.targetedSupport) {
    const group = targetedSupportGroup(inputs);
    const wording = a.action.supportWording ?? cat.catalogue.targetedSupport.wording;
    winnerOut.targetedSupport = { group, wording };
    winnerOut.customerSentence = `${sentence} ${wording}`;
  }
  return { excluded, winner: winnerOut, noAction: { chosen: false, reason: `${t.actionId} has an expected net value of ${gbp2(t.priority!)}, above the £0 of doing nothing` } };
}

/**
 * The FCA targeted-support group: customers with the same risk tolerance and age band
 * (the investment horizon: under 50, 50-59, 60+) get the same suggestion.
 */
export function targetedSupportGroup(inputs: Pick<DecisionInputs, 'customer'>): string {
  const c = inputs.customer;
  const band = c.horizon === 'long' ? 'under_50' : c.horizon === 'medium' ? '50_59' : c.horizon === 'short' ? '60_plus' : 'unknown';
  return `risk=${c.riskTolerance}/age_band=${band}`;
}

function joinWords(parts: readonly string[]): string {
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
