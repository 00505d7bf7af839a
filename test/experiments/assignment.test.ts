import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  assignCustomer,
  assignExperiment,
  hashToUnit,
  inUniversalControl,
  parseAssignmentPlan,
  type AssignmentPlan,
} from '../../src/experiments/assignment.js';
import { sampleRatioMismatch } from '../../src/models/stats/srm.js';
import { chiSquareSurvival } from '../../src/models/stats/incompleteGamma.js';

const ids = (n: number, prefix = 'C'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(7, '0')}`);

function plan(exposure = 1): AssignmentPlan {
  return parseAssignmentPlan({
    universalControl: { salt: 'ucg-2026', share: 0.05 },
    layers: [
      { id: 'offers', salt: 'layer-offers', buckets: 1000 },
      { id: 'channels', salt: 'layer-channels', buckets: 100 },
    ],
    experiments: [
      { id: 'savings-nudge', salt: 'exp-savings', layer: 'offers', buckets: { start: 0, end: 500 }, exposure, arms: [{ name: 'control', weight: 1 }, { name: 'nudge', weight: 1 }] },
      { id: 'card-copy', salt: 'exp-card', layer: 'offers', buckets: { start: 500, end: 1000 }, exposure: 1, arms: [{ name: 'control', weight: 50 }, { name: 'short', weight: 30 }, { name: 'long', weight: 20 }] },
      { id: 'push-vs-email', salt: 'exp-channel', layer: 'channels', buckets: { start: 0, end: 100 }, exposure: 1, arms: [{ name: 'email', weight: 1 }, { name: 'push', weight: 1 }] },
    ],
  });
}

describe('hashToUnit', () => {
  it('is uniform on [0, 1): 20 bins of 40,000 sequential ids pass a χ² test (p > 0.001)', () => {
    const bins = new Array<number>(20).fill(0);
    let outOfRange = 0;
    for (const id of ids(40_000)) {
      const u = hashToUnit('salt', id);
      if (!(u >= 0 && u < 1)) outOfRange++;
      else bins[Math.floor(u * 20)]!++;
    }
    expect(outOfRange).toBe(0);
    expect(sampleRatioMismatch(bins, new Array(20).fill(1)).pValue).toBeGreaterThan(0.001);
  });

  it('is deterministic and depends on the salt', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (salt, id) => {
        expect(hashToUnit(salt, id)).toBe(hashToUnit(salt, id));
      }),
      { seed: 15, numRuns: 200 },
    );
    expect(hashToUnit('a', 'C1')).not.toBe(hashToUnit('b', 'C1'));
  });
});

describe('assignment', () => {
  const p = plan();
  const customers = ids(30_000);
  const results = customers.map((c) => assignCustomer(p, c));

  it('arm counts match the weights within binomial error (SRM p > 0.001), and the UCG share too', () => {
    const count = (exp: string, arms: string[]) =>
      arms.map((a) => results.filter((r) => r.assigned.some((x) => x.experimentId === exp && x.arm === a)).length);
    expect(sampleRatioMismatch(count('savings-nudge', ['control', 'nudge']), [1, 1]).alert).toBe(false);
    expect(sampleRatioMismatch(count('card-copy', ['control', 'short', 'long']), [50, 30, 20]).alert).toBe(false);
    const ucg = results.filter((r) => r.universalControl).length;
    expect(sampleRatioMismatch([ucg, customers.length - ucg], [0.05, 0.95]).alert).toBe(false);
    // the two experiments of the offers layer split it in half
    const inLayer = count('savings-nudge', ['control', 'nudge']).reduce((s, v) => s + v, 0);
    expect(sampleRatioMismatch([inLayer, customers.length - ucg - inLayer], [1, 1]).alert).toBe(false);
  });

  it('an injected exposure bug (every 10th nudge exposure never logged) is caught by the SRM alert', () => {
    const arms = [0, 0];
    results.forEach((r, i) => {
      const a = r.assigned.find((x) => x.experimentId === 'savings-nudge');
      if (!a) return;
      if (a.arm === 'nudge' && i % 10 === 0) return; // the bug: these exposures are lost
      arms[a.armIndex]!++;
    });
    expect(sampleRatioMismatch(arms, [1, 1]).alert).toBe(true);
  });

  it('experiments in one layer are mutually exclusive; the universal control is in none', () => {
    let broken = 0;
    for (const r of results) {
      const offers = r.assigned.filter((a) => a.experimentId === 'savings-nudge' || a.experimentId === 'card-copy');
      // the offers layer is fully used, so everyone outside the UCG is in exactly one of the two
      if (r.universalControl ? r.assigned.length !== 0 : offers.length !== 1) broken++;
    }
    expect(broken).toBe(0);
  });

  it('arms in different layers are independent (χ² test of the 2×2 cross-table, p > 0.001)', () => {
    const table = [[0, 0], [0, 0]];
    for (const r of results) {
      const a = r.assigned.find((x) => x.experimentId === 'savings-nudge');
      const b = r.assigned.find((x) => x.experimentId === 'push-vs-email');
      if (a && b) table[a.armIndex]![b.armIndex]!++;
    }
    const n = table.flat().reduce((s, v) => s + v, 0);
    const rows = table.map((r) => r[0]! + r[1]!);
    const cols = [table[0]![0]! + table[1]![0]!, table[0]![1]! + table[1]![1]!];
    let chi2 = 0;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
      const e = (rows[i]! * cols[j]!) / n;
      chi2 += (table[i]![j]! - e) ** 2 / e;
    }
    expect(n).toBeGreaterThan(10_000);
    expect(chiSquareSurvival(chi2, 1)).toBeGreaterThan(0.001);
  });

  it('records the arm probability and the inclusion probability', () => {
    const a = results.flatMap((r) => r.assigned).find((x) => x.experimentId === 'card-copy' && x.arm === 'short')!;
    expect(a.armProbability).toBeCloseTo(0.3, 12);
    expect(a.inclusionProbability).toBeCloseTo(0.95 * 0.5 * 1, 12);
  });

  it('is sticky: the same customer gets the same arm every time, from a re-parsed plan too', () => {
    const again = plan();
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,40}$/), (id) => {
        expect(assignCustomer(again, id)).toEqual(assignCustomer(p, id));
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('ramp-up keeps every customer already in an arm in that arm (property over exposures)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.stringMatching(/^C[0-9]{1,8}$/), { minLength: 1, maxLength: 50 }),
        (e1, e2, customerIds) => {
          const [low, high] = e1 <= e2 ? [e1, e2] : [e2, e1];
          const before = plan(low);
          const after = plan(high);
          const exp = (q: AssignmentPlan) => q.experiments[0]!;
          for (const id of customerIds) {
            const a = assignExperiment(before, exp(before), id);
            if (a.status === 'assigned') {
              const b = assignExperiment(after, exp(after), id);
              expect(b.status).toBe('assigned');
              if (b.status === 'assigned') expect(b.arm).toBe(a.arm);
            }
          }
        },
      ),
      { seed: 15, numRuns: 200 },
    );
  });

  it('at 20% exposure about 20% of the experiment is assigned, evenly across arms', () => {
    const q = plan(0.2);
    const e = q.experiments[0]!;
    const out = customers.map((c) => assignExperiment(q, e, c));
    const inBuckets = out.filter((o) => o.status === 'assigned' || (o.status === 'outside' && o.reason === 'not_ramped')).length;
    const arms = [0, 1].map((i) => out.filter((o) => o.status === 'assigned' && o.armIndex === i).length);
    const assigned = arms[0]! + arms[1]!;
    expect(sampleRatioMismatch([assigned, inBuckets - assigned], [0.2, 0.8]).alert).toBe(false);
    expect(sampleRatioMismatch(arms, [1, 1]).alert).toBe(false);
  });

  it('customers in the universal control group are reported as such by every experiment', () => {
    const id = customers.find((c) => inUniversalControl(p, c))!;
    for (const e of p.experiments) expect(assignExperiment(p, e, id)).toEqual({ status: 'universal_control' });
  });
});

describe('plan validation', () => {
  const base = {
    layers: [{ id: 'offers', salt: 's', buckets: 100 }],
    experiments: [
      { id: 'a', salt: 'a', layer: 'offers', buckets: { start: 0, end: 60 }, exposure: 1, arms: [{ name: 'c', weight: 1 }, { name: 't', weight: 1 }] },
    ],
  };
  const withSecond = (second: object) => ({ ...base, experiments: [...base.experiments, second] });
  const second = { id: 'b', salt: 'b', layer: 'offers', buckets: { start: 60, end: 100 }, exposure: 1, arms: [{ name: 'c', weight: 1 }, { name: 't', weight: 1 }] };

  it('accepts adjacent ranges and defaults the bucket count', () => {
    expect(parseAssignmentPlan(withSecond(second)).experiments).toHaveLength(2);
    expect(parseAssignmentPlan({ layers: [{ id: 'l', salt: 's' }], experiments: [] }).layers[0]!.buckets).toBe(1000);
  });

  it('rejects overlapping ranges in a layer, unknown layers, ranges past the layer, bad weights and duplicate arms', () => {
    const issues = (input: unknown): string[] => {
      try {
        parseAssignmentPlan(input);
        return [];
      } catch (e) {
        return (e as { issues: { field: string; rule: string }[] }).issues.map((i) => `${i.field}:${i.rule}`);
      }
    };
    expect(issues(withSecond({ ...second, buckets: { start: 50, end: 100 } }))).toEqual(['experiments.1.buckets:exclusive']);
    expect(issues(withSecond({ ...second, layer: 'nope' }))).toEqual(['experiments.1.layer:known_layer']);
    expect(issues(withSecond({ ...second, buckets: { start: 60, end: 101 } }))).toEqual(['experiments.1.buckets:range']);
    expect(issues(withSecond({ ...second, arms: [{ name: 'c', weight: 0 }, { name: 't', weight: 1 }] }))).toEqual(['experiments.1.arms.0.weight:min']);
    expect(issues(withSecond({ ...second, arms: [{ name: 'c', weight: 1 }, { name: 'c', weight: 1 }] }))).toEqual(['experiments.1.arms:unique']);
    expect(issues(withSecond({ ...second, id: 'a' }))).toEqual(['experiments.1.id:unique']);
    expect(issues({ ...base, universalControl: { salt: 'u', share: 0.9 } })).toEqual(['universalControl.share:max']);
  });
});
