import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainFederated } from '../../src/federated/coordinator.js';
import { predictBatch, train } from '../../src/models/gbdt/index.js';
import { pooled, startBanks, syntheticBank } from './helpers.js';

const banks = [syntheticBank(900, 1, -0.5), syntheticBank(600, 2, 0), syntheticBank(1200, 3, 0.7)];
let net: Awaited<ReturnType<typeof startBanks>>;
beforeAll(async () => {
  net = await startBanks(banks);
});
afterAll(async () => net.close());

describe('federated GBDT equals central training on the pooled rows (DP off, same cuts)', () => {
  for (const params of [
    { rounds: 15, eta: 0.3, max_depth: 4, maxBin: 32 },
    { rounds: 8, eta: 0.2, max_depth: 0, max_leaves: 12, grow_policy: 'lossguide', maxBin: 16, lambda: 2, min_child_weight: 3 },
  ]) {
    it(`same trees and predictions to 1e-12: ${JSON.stringify(params)}`, async () => {
      const fed = await trainFederated(net.links, { params, session: 'identity-test-1' });
      const all = pooled(banks);
      const central = train({ features: { nRows: all.nRows, nFeatures: all.nFeatures, values: all.values }, label: all.label, cuts: fed.cuts }, params).model;
      expect(fed.model.trees.length).toBe(central.trees.length);
      fed.model.trees.forEach((t, i) => {
        const c = central.trees[i]!;
        expect(Array.from(t.feature), `tree ${i} features`).toEqual(Array.from(c.feature));
        expect(Array.from(t.threshold), `tree ${i} thresholds`).toEqual(Array.from(c.threshold));
        expect(Array.from(t.defaultLeft)).toEqual(Array.from(c.defaultLeft));
        t.value.forEach((v, k) => expect(Math.abs(v - c.value[k]!)).toBeLessThan(1e-12));
      });
      expect(Math.abs(fed.model.baseMargin - central.baseMargin)).toBeLessThan(1e-12);
      for (const b of banks) {
        const pf = predictBatch(fed.model, b.test!.features);
        const pc = predictBatch(central, b.test!.features);
        let worst = 0;
        pf.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - pc[i]!))));
        expect(worst).toBeLessThan(1e-12);
      }
      expect(fed.participants.map((p) => p.rounds)).toEqual([fed.rounds, fed.rounds, fed.rounds]);
      expect(fed.participants.every((p) => p.testAuc !== null && p.testAuc > 0.6)).toBe(true);
    });
  }
});
