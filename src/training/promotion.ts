/**
 * The promotion guard: what a candidate must show before it serves, by its family's rule.
 * A binary classifier needs enough positives in its held-out test slice, a test AUC whose
 * 95% lower bound (DeLong) is above 0.5 — a constant or chance model cannot pass — and,
 * when a champion of the same name serves, a paired DeLong lower bound on the AUC
 * difference above 0 on the candidate's test rows: it beats the champion on the same rows,
 * not just on a luckier slice. A mixture of two take-up rates (retention) needs EM to have
 * converged, both rates pinned down (standard error at most 0.15 each) and, on its held-out
 * latest offers, take-ups to test on and a log loss below the base rate's. Unsupervised models and the activity chain have no held-out
 * outcome; a person judges their card. A person may force a promotion with a reason; the
 * reason and the checks it overrode are kept in the registry's history.
 */
import { ValidationError } from '../core/errors.js';
import type { FeatureSet } from '../features/featureSet.js';
import type { EventLog } from '../store/eventLog.js';
import type { ModelRecord, ModelRegistry } from '../store/modelRegistry.js';
import { aucDifference, Z95 } from './aucInterval.js';
import { recentRows, scoreRows } from './drift.js';
import { familyOf, fittedOnGone, type PromotionRule } from './families/index.js';

/** Fewer positives than this in the test slice and the AUC is too noisy to sign off. */
export const MIN_TEST_POSITIVES = 10;
/** A mixture rate with a larger standard error is not pinned down (its 95% interval spans more than ±0.3). */
export const MAX_MIXTURE_RATE_SE = 0.15;
/** Fewer held-out take-ups than this and a mixture's held-out log loss says nothing (two parameters, not a ranking). */
export const MIN_MIXTURE_TEST_TAKE_UPS = 5;

/** One rule of the guard and how the candidate did on it. */
export interface PromotionCheck {
  rule: 'enough_test_positives' | 'auc_above_chance' | 'beats_champion' | 'judged_by_card' | 'converged' | 'rates_identified' | 'beats_base_rate' | 'fitted_on_champion';
  passed: boolean;
  detail: string;
}

/** The guard's verdict on one candidate. */
export interface PromotionVerdict {
  modelId: string;
  rule: PromotionRule;
  allowed: boolean;
  checks: PromotionCheck[];
}

/** The refusal: names each rule the candidate failed, and how to override. */
export class PromotionRefused extends ValidationError {
  constructor(readonly verdict: PromotionVerdict) {
    const failed = verdict.checks.filter((c) => !c.passed);
    super(
      failed.map((c) => ({ field: 'id', rule: c.rule, message: c.detail })),
      `${verdict.modelId} is not promoted: ${failed.map((c) => `${c.detail} (${c.rule})`).join('; ')}. A person may force it with a reason.`,
    );
    this.name = 'PromotionRefused';
  }
}

/** What the guard reads: the log and features to rebuild test rows, the registry for the champion. */
export interface PromotionDeps {
  log: EventLog;
  features: FeatureSet;
  registry: ModelRegistry;
}

const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const f3 = (x: number) => x.toFixed(3);

/** Judges a candidate by its family's promotion rule. */
export async function judgePromotion(deps: PromotionDeps, candidate: ModelRecord): Promise<PromotionVerdict> {
  const rule = familyOf(candidate.name)?.promotion(candidate.name) ?? 'judged_by_card';
  const checks =
    rule === 'binary_auc'
      ? await binaryChecks(deps, candidate)
      : rule === 'mixture_fit'
        ? mixtureChecks(candidate)
        : [{ rule: 'judged_by_card' as const, passed: true, detail: 'no held-out outcome to test: promoted on a person\'s reading of the card' }];
  // A model fitted on another family's model (the retention mixture on a churn model) means something only beside that model.
  if (familyOf(candidate.name)?.fittedOn) {
    const gone = fittedOnGone(candidate, new Set((await deps.registry.list({ stage: 'champion' })).map((m) => m.id)));
    checks.push({ rule: 'fitted_on_champion', passed: gone.length === 0, detail: gone.length === 0 ? 'fitted on the champions in service' : `fitted on ${gone.join(', ')}, which is not the champion now` });
  }
  return { modelId: candidate.id, rule, allowed: checks.every((c) => c.passed), checks };
}

async function binaryChecks(deps: PromotionDeps, m: ModelRecord): Promise<PromotionCheck[]> {
  const positives = num(m.metrics.testPositives) ?? 0;
  const rows = num(m.metrics.testRows) ?? 0;
  const auc = num(m.metrics.auc);
  const checks: PromotionCheck[] = [
    {
      rule: 'enough_test_positives',
      passed: positives >= MIN_TEST_POSITIVES,
      detail: `${positives} positives in ${rows} test rows (need at least ${MIN_TEST_POSITIVES})`,
    },
  ];
  // Models registered before the bound was stored get the Hanley-McNeil bound from their AUC and counts.
  const lower = num(m.metrics.aucLower95) ?? (auc !== undefined ? hanleyMcNeilLower(auc, positives, rows - positives) : undefined);
  checks.push({
    rule: 'auc_above_chance',
    passed: lower !== undefined && lower > 0.5,
    detail: lower === undefined ? 'no test AUC recorded' : `test AUC ${f3(auc ?? Number.NaN)}, 95% lower bound ${f3(lower)} (must be above 0.5)`,
  });
  const champion = await deps.registry.champion(m.name);
  if (champion && champion.id !== m.id) checks.push(await beatsChampion(deps, m, champion));
  return checks;
}

/** A two-rate mixture (retention take-up): converged, identified, and better than the base rate on its latest offers. */
function mixtureChecks(m: ModelRecord): PromotionCheck[] {
  const se = [num(m.metrics.seStayers), num(m.metrics.seLeavers)];
  const positives = num(m.metrics.testPositives) ?? 0;
  const ll = num(m.metrics.logLoss);
  const base = num(m.metrics.logLossBaseline);
  return [
    { rule: 'converged', passed: m.metrics.converged === true, detail: `EM ${m.metrics.converged === true ? 'converged' : 'did not converge'} in ${String(m.metrics.iterations)} steps` },
    {
      rule: 'rates_identified',
      passed: se.every((s) => s !== undefined && s <= MAX_MIXTURE_RATE_SE),
      detail: `standard errors of the stayers' and leavers' rates ${se.map((s) => (s === undefined ? 'unbounded' : f3(s))).join(' and ')} (each must be at most ${MAX_MIXTURE_RATE_SE}; unbounded: the offers' churn scores do not vary enough)`,
    },
    { rule: 'enough_test_positives', passed: positives >= MIN_MIXTURE_TEST_TAKE_UPS, detail: `${positives} take-ups in ${num(m.metrics.testRows) ?? 0} held-out offers (need at least ${MIN_MIXTURE_TEST_TAKE_UPS})` },
    {
      rule: 'beats_base_rate',
      passed: ll !== undefined && base !== undefined && ll < base,
      detail: ll === undefined || base === undefined ? 'no held-out log loss recorded' : `held-out log loss ${ll.toFixed(4)} against the base rate's ${base.toFixed(4)} (must be below)`,
    },
  ];
}

/** Paired DeLong on the candidate's own test rows, rebuilt from the log exactly as at training. */
async function beatsChampion(deps: PromotionDeps, m: ModelRecord, champion: ModelRecord): Promise<PromotionCheck> {
  const testFrom = Date.parse(String(m.metrics.testFrom));
  const to = Date.parse(m.trainingWindow.to);
  if (!Number.isFinite(testFrom) || champion.kind !== 'gbdt') return { rule: 'beats_champion', passed: false, detail: `cannot compare with champion ${champion.id}: no test slice recorded or not a GBDT` };
  const ds = await recentRows(deps.log, deps.features, m.name, testFrom, to);
  const idx = (ds?.rows ?? []).flatMap((r, i) => (Number.isNaN(r.label) ? [] : [i]));
  if (!ds || idx.length === 0) return { rule: 'beats_champion', passed: false, detail: `no labelled test rows to compare with champion ${champion.id}` };
  const y = idx.map((i) => ds.rows[i]!.label);
  const d = aucDifference(scoreRows(m, ds, idx), scoreRows(champion, ds, idx), y);
  return {
    rule: 'beats_champion',
    passed: d.lower > 0,
    detail: `on ${idx.length} test rows AUC ${f3(d.aucA)} against champion ${champion.id}'s ${f3(d.aucB)}; 95% lower bound of the gain ${f3(d.lower)} (must be above 0)`,
  };
}

/** The Hanley & McNeil (1982) 95% lower bound of an AUC from the class counts. */
export function hanleyMcNeilLower(auc: number, positives: number, negatives: number): number {
  if (!(positives > 0 && negatives > 0)) return Number.NaN;
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const v = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives);
  return auc - Z95 * Math.sqrt(Math.max(v, 0));
}

/** The line kept in the registry's history: what the promotion passed, or what a person overrode and why. */
export function promotionNote(v: PromotionVerdict, force?: string): string {
  const checks = v.checks.map((c) => `${c.rule} ${c.passed ? 'passed' : 'FAILED'}: ${c.detail}`).join('; ');
  return force !== undefined && !v.allowed ? `forced by a person: ${force} | overrode: ${checks}` : checks;
}
