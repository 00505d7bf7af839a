import { describe, expect, it } from 'vitest';
import { kaplanMeier } from '../../src/models/survival/kaplanMeier.js';
import { parseScenario } from '../../src/simulation/scenario.js';
import { Twin } from '../../src/simulation/twin.js';

/**
 * The ground truth must be coherent with what happens: customers the truth file says are
 * at high churn hazard must leave more, measured by Kaplan-Meier curves by hazard quartile.
 */
describe('ground truth is coherent with behaviour', () => {
  const LANDMARK = 30;
  const twin = new Twin(parseScenario({ customers: 2500, days: 330, seed: 123 }));
  const n = twin.pop.n;
  const meanHazard = new Float64Array(n);
  const missedByStress = [0, 0, 0];
  const dueByStress = [0, 0, 0];
  for (let d = 0; d < twin.scenario.days; d++) {
    twin.beginDay(d);
    const day = twin.finishDay();
    if (d < LANDMARK) {
      // Read the hazard from the ground-truth rows, as a user of groundtruth.jsonl would.
      for (let i = 0; i < n; i++) {
        if (!twin.isActive(i)) continue;
        const row = JSON.parse(twin.truthRow(i)) as { churnHazard: number };
        meanHazard[i] = meanHazard[i]! + row.churnHazard / LANDMARK;
      }
    }
    // Missed repayments by the stress state the truth holds for the customer that day.
    for (let j = 0; j < day.order.length; j++) {
      const k = day.order[j]!;
      if (day.buffer.type[k] !== 7) continue; // loan_repayment
      const s = twin.pop.stress[day.buffer.cust[k]!]!;
      dueByStress[s]!++;
      if (day.buffer.c[k] === 2) missedByStress[s]!++;
    }
  }

  it('the top churn-hazard quartile survives worse than the bottom one (Kaplan-Meier from the landmark day)', () => {
    const alive = [...Array(n).keys()].filter((i) => twin.pop.churnDay[i]! < 0 || twin.pop.churnDay[i]! >= LANDMARK);
    const sorted = [...alive].sort((a, b) => meanHazard[a]! - meanHazard[b]!);
    const q = Math.floor(sorted.length / 4);
    const curve = (ids: number[]) => {
      const time = ids.map((i) => (twin.pop.churnDay[i]! >= 0 ? twin.pop.churnDay[i]! - LANDMARK + 1 : twin.scenario.days - LANDMARK));
      const event = ids.map((i) => (twin.pop.churnDay[i]! >= 0 ? 1 : 0));
      return kaplanMeier(time, event);
    };
    const low = curve(sorted.slice(0, q));
    const high = curve(sorted.slice(-q));
    const last = (c: ReturnType<typeof kaplanMeier>) => c.survival[c.survival.length - 1]!;
    expect(high.events).toBeGreaterThan(30);
    // Churn by the end: the high-hazard quartile loses at least twice the low quartile's share.
    expect(1 - last(high)).toBeGreaterThan(2 * (1 - last(low)));
    // And the curves are separated beyond noise: the gap exceeds 3 combined standard errors.
    const se = Math.hypot(high.stdErrSurvival[high.stdErrSurvival.length - 1]!, low.stdErrSurvival[low.stdErrSurvival.length - 1]!);
    expect(last(low) - last(high)).toBeGreaterThan(3 * se);
    expect(high.restrictedMean).toBeLessThan(low.restrictedMean);
  });

  it('distressed customers (per the stress chain) miss far more repayments than healthy ones', () => {
    expect(dueByStress[0]).toBeGreaterThan(200);
    expect(dueByStress[2]).toBeGreaterThan(50);
    expect(missedByStress[0]).toBe(0);
    expect(missedByStress[2]! / dueByStress[2]!).toBeGreaterThan(0.2);
  });
});
