/**
 * XGBoost as a peer in the benches (Debian's /usr/bin/python3 with python3-xgboost; the benches
 * skip it with a note when it is missing), and our TreeSHAP set beside its `pred_contribs`.
 */
import { execFileSync } from 'node:child_process';
import type { Explainer } from '../src/models/gbdt/shap.js';

export const PYTHON = '/usr/bin/python3';

/** XGBoost's version when /usr/bin/python3 imports it (and `also`, e.g. sklearn); null otherwise. */
export function xgboostVersion(also: readonly string[] = []): string | null {
  try {
    return execFileSync(PYTHON, ['-c', `import ${['xgboost', ...also].join(', ')}; print(xgboost.__version__)`], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/**
 * Our contributions for the first `n` rows of `x` (nF features each) against XGBoost's
 * `pred_contribs` for them (nF + 1 columns, the bias last): the largest difference, which
 * must stay below 1e-3 (XGBoost sums in float32), and our CPU µs per row over `loops` passes.
 */
export function shapAgainstXgboost(ex: Explainer, x: Float64Array, nF: number, n: number, contribs: Float64Array, loops: number): { us: number; maxDiff: number } {
  let maxDiff = 0;
  for (let i = 0; i < n; i++) {
    const c = ex.contributions(x, i * nF);
    for (let j = 0; j <= nF; j++) maxDiff = Math.max(maxDiff, Math.abs(c[j]! - contribs[i * (nF + 1) + j]!));
  }
  if (!(maxDiff < 1e-3)) throw new Error(`TreeSHAP on XGBoost's trees differs from pred_contribs by ${maxDiff}`);
  return { us: shapCpuUs(ex, x, nF, n, loops), maxDiff };
}

/** Our TreeSHAP's CPU µs per row over `loops` passes of the first `n` rows of `x`. */
export function shapCpuUs(ex: Explainer, x: Float64Array, nF: number, n: number, loops: number): number {
  let sink = 0;
  const c0 = process.cpuUsage();
  for (let k = 0; k < loops; k++) for (let i = 0; i < n; i++) sink += ex.contributions(x, i * nF)[0]!;
  const c = process.cpuUsage(c0);
  if (!Number.isFinite(sink)) throw new Error('TreeSHAP: non-finite contributions');
  return (c.user + c.system) / (loops * n);
}
