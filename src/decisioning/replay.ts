/**
 * Replay: a logged decision re-run on its catalogue snapshot, logged inputs and levers with
 * the models in force now, and compared with what was logged.
 */
import { remakeRecord } from './buildRecord.js';
import type { CompiledCatalogue } from './compile.js';
import type { Evaluation } from './decide.js';
import type { PropensityScorer } from './scoring.js';
import type { DecisionRecord, Explanation } from './trace.js';

export interface ReplayResult {
  decisionId: string;
  identical: boolean;
  differences: string[];
  replayed: Pick<DecisionRecord, 'candidates' | 'chosen' | 'explanation'>;
}

/** Replays a decision record against a compiled catalogue snapshot; pure apart from the scorer. */
export function replayRecord(cat: CompiledCatalogue, original: DecisionRecord, scorer: PropensityScorer, reorder?: (ev: Evaluation) => void): ReplayResult {
  const differences: string[] = [];
  for (const [actionId, version] of Object.entries(original.models)) {
    const a = cat.byId.get(actionId);
    const current = a ? scorer.versionFor(a.vars) : undefined;
    if (current !== version) differences.push(`model for ${actionId}: logged ${version}, now ${current ?? 'none'}`);
  }
  // A record logged without SHAP replays without it.
  const shap = !original.chosen[0] || original.explanation.winner?.topContributions.length !== 0 || original.candidates.find((c) => c.actionId === original.chosen[0]!.actionId)?.propensitySource !== 'model';
  // A bandit's choice replays from its logged seed and shares, not from today's posteriors.
  const replayed = remakeRecord(cat, original, { scorer, shap, reorder, bandit: original.bandit ? structuredClone(original.bandit) : undefined });
  // Records from before selection probabilities were kept replay without them.
  if (original.chosen.some((c) => c.selectionProbability === undefined)) for (const c of replayed.chosen) delete c.selectionProbability;
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (!same(replayed.chosen, original.chosen)) differences.push(`chosen: logged ${original.chosen.map((c) => c.actionId).join(',') || 'none'}, replayed ${replayed.chosen.map((c) => c.actionId).join(',') || 'none'}`);
  original.candidates.forEach((c, k) => {
    if (!same(c, replayed.candidates[k])) differences.push(`candidate ${c.actionId} differs`);
  });
  if (!sameExplanation(replayed.explanation, original.explanation)) differences.push('explanation differs');
  return { decisionId: original.decisionId, identical: differences.length === 0, differences, replayed: { candidates: replayed.candidates, chosen: replayed.chosen, explanation: replayed.explanation } };
}

/**
 * Explanations are the same when everything matches exactly but SHAP contributions, which
 * may differ in the last bits between exact TreeSHAP algorithms (tables vs recursion):
 * those must agree within 1e-9 of the larger magnitude (or 1e-9 absolute below 1).
 */
export function sameExplanation(a: Explanation, b: Explanation): boolean {
  const ca = a.winner?.topContributions ?? [];
  const cb = b.winner?.topContributions ?? [];
  if (ca.length !== cb.length) return false;
  for (let i = 0; i < ca.length; i++) {
    const x = ca[i]!.contribution;
    const y = cb[i]!.contribution;
    if (!(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y)))) return false;
  }
  const strip = (e: Explanation) => JSON.stringify(e, (k, v: unknown) => (k === 'contribution' ? 0 : v));
  return strip(a) === strip(b);
}
