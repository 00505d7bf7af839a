/**
 * Building a decision record from a decision's evaluation and selection: the record decide()
 * returns, the one a packed record is rebuilt to when it is read (storedRecord.ts), and the
 * one replay compares with (replay.ts). Pure apart from the scorer's explanation.
 */
import type { Levers } from './catalogue.js';
import type { CompiledCatalogue } from './compile.js';
import { evaluate, select, type Evaluation } from './decide.js';
import { chosenProbabilities, orderFrom, type BanditTrace } from './bandit.js';
import { explain } from './explain.js';
import type { PropensityScorer } from './scoring.js';
import { DECISION_FORMAT_VERSION, type ChosenAction, type DecisionInputs, type DecisionRecord } from './trace.js';

/** A private, frozen copy of levers: decisions log them by reference. */
export function frozenLevers(l: Levers): Levers {
  const c = structuredClone(l);
  Object.freeze(c.families);
  Object.freeze(c.actions);
  return Object.freeze(c);
}

/** The chosen actions as a channel shows them, in rank order. */
export function picksOf(cat: CompiledCatalogue, ev: Evaluation, chosen: readonly number[], channel: string): ChosenAction[] {
  return chosen.map((i, k) => {
    const t = ev.traces[i]!;
    const a = cat.byId.get(t.actionId)!.action;
    const treatment = Object.fromEntries(Object.entries(a.treatments[channel as never] ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const c: ChosenAction = { actionId: a.id, name: a.name, family: a.family, channel, rank: k + 1, priority: t.priority!, propensity: t.propensity!, headline: a.message.headline, body: a.message.body, treatment };
    if (a.message.disclosure) c.disclosure = a.message.disclosure;
    return c;
  });
}

/** The last time formatted and its ISO string: decisions made in the same millisecond (many, at thousands a second) format it once. */
let lastIso = { at: Number.NaN, iso: '' };
function isoTime(at: number): string {
  if (at !== lastIso.at) lastIso = { at, iso: new Date(at).toISOString() };
  return lastIso.iso;
}

/** The record of a decision: its inputs, every candidate's trace, the chosen actions and the explanation. */
export function buildRecord(
  cat: CompiledCatalogue,
  ev: Evaluation,
  inputs: DecisionInputs,
  chosen: number[],
  o: { decisionId: string; channel: string; n: number; now: number; levers: Levers; full: ReadonlySet<string>; scorer: PropensityScorer; shap?: boolean; bandit?: BanditTrace | undefined; selectN: number },
): DecisionRecord {
  const probabilities = chosenProbabilities(cat, ev, inputs, chosen, o.bandit, { now: o.now, channel: o.channel, n: o.selectN, full: o.full });
  const picks = picksOf(cat, ev, chosen, o.channel);
  picks.forEach((c, k) => (c.selectionProbability = probabilities[k]!));
  const record: DecisionRecord = {
    formatVersion: DECISION_FORMAT_VERSION,
    decisionId: o.decisionId,
    customerId: inputs.customer.id,
    channel: o.channel,
    n: o.n,
    decidedAt: isoTime(o.now),
    catalogueVersion: cat.version,
    levers: o.levers,
    inputs,
    signals: ev.signals,
    models: ev.models,
    candidates: ev.traces,
    capacityRefused: [...o.full].sort(),
    chosen: picks,
    explanation: explain(cat, ev, inputs, chosen[0], o.scorer, 3, o.shap ?? true),
  };
  if (o.bandit) record.bandit = o.bandit;
  // An exploring draw that chose "no action" over actions the engine would have offered says so.
  if (o.bandit?.explored && picks.length === 0 && o.bandit.arms.length > 0 && record.explanation.noAction) {
    record.explanation.noAction.reason = `no action: this decision explored (budget ${o.bandit.budget}) and its Thompson draw found nothing worth a contact; without exploring it would have offered ${o.bandit.greedy ?? 'nothing'}`;
  }
  return record;
}


/**
 * A logged decision made again on its catalogue snapshot from its inputs, levers and
 * capacity refusals, as decideWith made it: evaluate, the arm's order (`reorder`), the
 * bandit's logged draw, select, build. Reading a packed record (storedRecord.ts) and replay
 * (replay.ts) both go through it; `orderFrom` writes into `bandit`, so pass a copy to keep one.
 */
export function remakeRecord(
  cat: CompiledCatalogue,
  r: Pick<DecisionRecord, 'decisionId' | 'decidedAt' | 'channel' | 'n' | 'levers' | 'inputs' | 'capacityRefused' | 'experiment'>,
  o: { scorer: PropensityScorer; shap: boolean; reorder?: ((ev: Evaluation) => void) | undefined; bandit: BanditTrace | undefined },
): DecisionRecord {
  const now = Date.parse(r.decidedAt);
  const ev = evaluate(cat, r.inputs, { now, channel: r.channel, levers: r.levers, scorer: o.scorer });
  o.reorder?.(ev);
  if (o.bandit) ev.ranked = orderFrom(ev, o.bandit);
  const full = new Set(r.capacityRefused);
  const selectN = r.experiment?.heldOut ? 0 : r.n;
  const sel = select(cat, ev, r.inputs, { now, channel: r.channel, n: selectN, full });
  return buildRecord(cat, ev, r.inputs, sel.chosen, { decisionId: r.decisionId, channel: r.channel, n: r.n, now, levers: r.levers, full, scorer: o.scorer, shap: o.shap, bandit: o.bandit, selectN });
}
