/**
 * Explanations computed from the decision, not templated guesses: the rules that excluded
 * each action, the factors of the winner's priority as reason codes, the propensity
 * model's top TreeSHAP contributions, and one sentence a customer can read.
 */
import type { CompiledCatalogue } from './compile.js';
import type { Evaluation } from './decide.js';
import type { PropensityScorer } from './scoring.js';
import type { DecisionInputs, Explanation, ReasonCode } from './trace.js';

/** £ with thousands separators (toLocaleString costs microseconds per call on the hot path). */
const gbp = (x: number) => `£${String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;

/** Builds the explanation of a decision whose winner (if any) is `ev.traces[winner]`. */
export function explain(cat: CompiledCatalogue, ev: Evaluation, inputs: DecisionInputs, winner: number | undefined, scorer: PropensityScorer, topK = 3, shap = true): Explanation {
  const excluded = ev.traces.filter((t) => t.status === 'excluded' && t.excludedBy).map((t) => ({ actionId: t.actionId, kind: t.excludedBy!.kind, rule: t.excludedBy!.rule, reason: t.excludedBy!.reason }));
  if (winner === undefined) return { excluded };
  const t = ev.traces[winner]!;
  const a = cat.byId.get(t.actionId)!;
  const codes: ReasonCode[] = [];
  const because = a.rules.filter((r) => r.because).map((r) => r.because!);
  for (const r of a.rules) if (r.because) codes.push({ code: `RULE_${r.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`, text: r.because });
  const others = ev.ranked.map((i) => ev.traces[i]!).filter((o) => o.actionId !== t.actionId);
  const meanOther = others.length > 0 ? others.reduce((s, o) => s + o.propensity!, 0) / others.length : 0;
  if (t.propensitySource === 'model') {
    codes.push({ code: 'MODEL_PROPENSITY', text: `model ${t.modelVersion} puts the chance of take-up at ${pct(t.propensity!)}` });
  } else {
    codes.push({ code: 'PRIOR_PROPENSITY', text: `no model scores this action for this customer yet; its prior take-up rate ${pct(t.propensity!)} is used` });
  }
  if (others.length > 0 && t.propensity! >= 1.5 * meanOther) codes.push({ code: 'HIGH_PROPENSITY', text: `more likely to be taken up than the other eligible actions (${pct(t.propensity!)} against ${pct(meanOther)} on average)` });
  codes.push({ code: a.action.value.model === 'margin' ? 'VALUE_MARGIN' : 'VALUE_CLV', text: `worth about ${gbp(t.value!)} ${a.action.value.model === 'margin' ? 'in first-year margin' : 'in customer lifetime value'} if taken up` });
  if (t.contextWeight! > 1) codes.push({ code: 'CONTEXT_FIT', text: `the moment suits it (context weight ${t.contextWeight!.toFixed(2)})` });
  if (t.contextWeight! < 1) codes.push({ code: 'CONTEXT_DAMPED', text: `the moment suits it less than usual (context weight ${t.contextWeight!.toFixed(2)})` });
  if (t.lever! !== 1) codes.push({ code: 'BUSINESS_LEVER', text: `the bank weights it by ${t.lever!.toFixed(2)}` });
  const runnerUp = ev.ranked.map((i) => ev.traces[i]!).find((o) => o.actionId !== t.actionId);
  if (runnerUp) codes.push({ code: 'AHEAD_OF_RUNNER_UP', text: `priority ${t.priority!.toPrecision(3)} against ${runnerUp.priority!.toPrecision(3)} for ${runnerUp.actionId}` });
  else codes.push({ code: 'ONLY_ELIGIBLE', text: 'the only action that passed every eligibility, suitability and consent policy' });

  const contributions = shap && t.propensitySource === 'model' ? scorer.explain(a.vars, ev.rows, topK) : [];
  const labels = cat.catalogue.featureLabels;
  const topContributions = contributions.map((c) => ({ ...c, label: labels[c.feature] ?? c.feature.replace(/_/g, ' ') }));
  let sentence: string;
  if (because.length > 0) sentence = `We're suggesting ${a.action.name} because ${joinWords(because)}.`;
  else {
    const up = topContributions.filter((c) => c.contribution > 0).map((c) => `your ${c.label}`);
    sentence = up.length > 0 ? `We're suggesting ${a.action.name} because of ${joinWords(up.slice(0, 2))}.` : `We're suggesting ${a.action.name}: ${a.action.message.body}`;
  }
  const winnerOut: NonNullable<Explanation['winner']> = { actionId: t.actionId, reasonCodes: codes, topContributions, customerSentence: sentence };
  if (a.action.targetedSupport && cat.catalogue.targetedSupport) {
    const group = targetedSupportGroup(inputs);
    winnerOut.targetedSupport = { group, wording: cat.catalogue.targetedSupport.wording };
    winnerOut.customerSentence = `${sentence} ${cat.catalogue.targetedSupport.wording}`;
  }
  return { excluded, winner: winnerOut };
}

/** The FCA targeted-support group: customers sharing segment, risk tolerance and horizon get the same suggestion. */
export function targetedSupportGroup(inputs: Pick<DecisionInputs, 'customer'>): string {
  const c = inputs.customer;
  return `segment=${c.segment}/risk=${c.riskTolerance}/horizon=${c.horizon}`;
}

function joinWords(parts: readonly string[]): string {
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
