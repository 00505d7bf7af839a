/**
 * Conversion-rate statistics: confidence intervals for one binomial proportion (Wilson,
 * Clopper–Pearson, Agresti–Coull, Jeffreys, Wald, as statsmodels' `proportion_confint`) and the
 * two-proportion z test with Wald and Newcombe intervals for the difference (statsmodels'
 * `proportions_ztest`, `confint_proportions_2indep`). Differences are treatment − control.
 */
import { assertUnreachable } from '../../core/errors.js';
import { checkConfidence, checkSuccesses, checkTrials } from './checks.js';
import { betaQuantile } from './incompleteBeta.js';
import { normalQuantile, normalSurvival, twoSidedNormalP } from './normal.js';

/** Conversions out of customers exposed, for one arm. */
export interface ArmConversions {
  conversions: number;
  n: number;
}

/** How an interval for one proportion is made. */
export type BinomialIntervalMethod = 'wilson' | 'clopper_pearson' | 'agresti_coull' | 'jeffreys' | 'wald';

const clip01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * Two-sided interval for x successes in n trials. Wald and Agresti–Coull are clipped to [0, 1]
 * as statsmodels does; Clopper–Pearson is exact (0 at x = 0, 1 at x = n); Jeffreys is the
 * central Beta(x + ½, n − x + ½) interval, without the x = 0 / x = n adjustment of Brown, Cai
 * and DasGupta (2001), so it matches statsmodels.
 */
export function binomialInterval(x: number, n: number, method: BinomialIntervalMethod = 'wilson', confidence = 0.95): [number, number] {
  checkTrials(n, 'n');
  checkSuccesses(x, n, 'successes');
  checkConfidence(confidence);
  const alpha = 1 - confidence;
  const z = normalQuantile(1 - alpha / 2);
  const p = x / n;
  switch (method) {
    case 'wilson': {
      const z2 = z * z;
      const denom = 1 + z2 / n;
      const centre = (p + z2 / (2 * n)) / denom;
      const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
      // Exact Wilson bounds lie in [0, 1]; at x = 0 or x = n rounding leaves ~1e-20 outside.
      return [clip01(centre - half), clip01(centre + half)];
    }
    case 'clopper_pearson':
      return [x === 0 ? 0 : betaQuantile(alpha / 2, x, n - x + 1), x === n ? 1 : betaQuantile(alpha / 2, x + 1, n - x, true)];
    case 'agresti_coull': {
      const nc = n + z * z;
      const pc = (x + (z * z) / 2) / nc;
      const half = z * Math.sqrt((pc * (1 - pc)) / nc);
      return [clip01(pc - half), clip01(pc + half)];
    }
    case 'jeffreys':
      return [betaQuantile(alpha / 2, x + 0.5, n - x + 0.5), betaQuantile(alpha / 2, x + 0.5, n - x + 0.5, true)];
    case 'wald': {
      const half = z * Math.sqrt((p * (1 - p)) / n);
      return [clip01(p - half), clip01(p + half)];
    }
    default:
      return assertUnreachable(method);
  }
}

/** The comparison of two conversion rates. */
export interface TwoProportionTest {
  controlRate: number;
  treatmentRate: number;
  /** treatmentRate − controlRate. */
  difference: number;
  /** treatmentRate / controlRate − 1 (Infinity when the control rate is 0 and treatment's is not). */
  relativeLift: number;
  /** Rate of both arms together, the null hypothesis' common rate. */
  pooledRate: number;
  /** Standard error of the difference under H0 (pooled) and in general (unpooled). */
  pooledSe: number;
  unpooledSe: number;
  /** z with the pooled SE, its two-sided p-value and the one-sided p for treatment > control. */
  z: number;
  pValue: number;
  pValueTreatmentGreater: number;
  /** z and two-sided p with the unpooled SE (the Wald test). */
  zUnpooled: number;
  pValueUnpooled: number;
  confidence: number;
  /** Wald interval of the difference (unpooled SE). */
  waldInterval: [number, number];
  /** Newcombe's hybrid score interval of the difference (method 10, from Wilson intervals). */
  newcombeInterval: [number, number];
}

/** Two-proportion z test of treatment against control, with intervals for the difference. */
export function twoProportionTest(control: ArmConversions, treatment: ArmConversions, confidence = 0.95): TwoProportionTest {
  checkTrials(control.n, 'control.n');
  checkSuccesses(control.conversions, control.n, 'control.conversions');
  checkTrials(treatment.n, 'treatment.n');
  checkSuccesses(treatment.conversions, treatment.n, 'treatment.conversions');
  checkConfidence(confidence);
  const pa = control.conversions / control.n;
  const pb = treatment.conversions / treatment.n;
  const diff = pb - pa;
  const pool = (control.conversions + treatment.conversions) / (control.n + treatment.n);
  const pooledSe = Math.sqrt(pool * (1 - pool) * (1 / control.n + 1 / treatment.n));
  const unpooledSe = Math.sqrt((pa * (1 - pa)) / control.n + (pb * (1 - pb)) / treatment.n);
  // With no variance at all (0% or 100% everywhere) there is no evidence of a difference.
  const z = pooledSe > 0 ? diff / pooledSe : 0;
  const zUnpooled = unpooledSe > 0 ? diff / unpooledSe : diff === 0 ? 0 : Math.sign(diff) * Infinity;
  const crit = normalQuantile(1 - (1 - confidence) / 2);
  const [la, ua] = binomialInterval(control.conversions, control.n, 'wilson', confidence);
  const [lb, ub] = binomialInterval(treatment.conversions, treatment.n, 'wilson', confidence);
  return {
    controlRate: pa,
    treatmentRate: pb,
    difference: diff,
    relativeLift: pa > 0 ? pb / pa - 1 : pb > 0 ? Infinity : 0,
    pooledRate: pool,
    pooledSe,
    unpooledSe,
    z,
    pValue: twoSidedNormalP(z),
    pValueTreatmentGreater: normalSurvival(z),
    zUnpooled,
    pValueUnpooled: twoSidedNormalP(zUnpooled),
    confidence,
    waldInterval: [diff - crit * unpooledSe, diff + crit * unpooledSe],
    newcombeInterval: [diff - Math.hypot(pb - lb, ua - pa), diff + Math.hypot(ub - pb, pa - la)],
  };
}
