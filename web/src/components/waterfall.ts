/** One SHAP contribution as the decision record logs it (log-odds of take-up). */
export interface Contribution {
  feature: string;
  label?: string;
  value: number | null;
  contribution: number;
}

/** One step of the waterfall: the running total before and after this feature. */
export interface WaterfallStep {
  label: string;
  value: number | null;
  contribution: number;
  from: number;
  to: number;
}

/**
 * The waterfall of a decision's top contributions: each step starts where the previous one
 * ended, so the last `to` is the sum the explained features move the score by (from the
 * model's base value, which the record does not carry, hence 0 here).
 */
export function waterfallSteps(contributions: readonly Contribution[]): WaterfallStep[] {
  let total = 0;
  return contributions.map((c) => {
    const from = total;
    total += c.contribution;
    return { label: c.label ?? c.feature.replace(/_/g, ' '), value: c.value, contribution: c.contribution, from, to: total };
  });
}
