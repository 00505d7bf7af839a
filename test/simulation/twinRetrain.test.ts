import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { rowScorer } from '../../src/models/gbdt/index.js';
import { FAMILY } from '../../src/simulation/offers.js';
import { TWIN_MODEL_FEATURES } from '../../src/simulation/twinProfile.js';
import { TwinRetrainer, trainFamily, type LabelledOffer } from '../../src/simulation/twinRetrain.js';

const rng = mulberry32(5);
const row = () => Float64Array.from(TWIN_MODEL_FEATURES, () => rng.next() * 100);
const offers = (family: number, n: number, rate: number, day: number, predicted?: number): LabelledOffer[] =>
  Array.from({ length: n }, () => ({ row: row(), family, label: rng.next() < rate ? 1 : 0, day, ...(predicted !== undefined ? { predicted } : {}) }));

describe('drift → retrain in the twin loop', () => {
  it('retrains only the family whose take-up moved away from its predictions, and only on a check day', () => {
    const exploration = [...offers(FAMILY.savings, 400, 0.05, 0), ...offers(FAMILY.guidance, 400, 0.3, 0)];
    const models = {
      savings: trainFamily(exploration.filter((s) => s.family === FAMILY.savings), 'savings@0', { seed: 1, rounds: 5 }),
      guidance: trainFamily(exploration.filter((s) => s.family === FAMILY.guidance), 'guidance@0', { seed: 1, rounds: 5 }),
    };
    const r = new TwinRetrainer(exploration, models, { everyDays: 30, windowDays: 60, zLimit: 3, minOffers: 50, seed: 1 });
    // Savings now taken up six times as often as predicted; guidance as predicted.
    for (const o of [...offers(FAMILY.savings, 200, 0.3, 20, 0.05), ...offers(FAMILY.guidance, 200, 0.3, 20, 0.3)]) r.offered(o);
    expect(r.endOfDay(29)).toBeUndefined();
    const scorer = r.endOfDay(30);
    expect(scorer).toBeDefined();
    expect(r.checks.map((c) => [c.family, c.retrained])).toEqual([
      ['savings', true],
      ['guidance', false],
    ]);
    expect(r.served.savings!.version).toBe('twin-savings@retrain1-day30');
    expect(r.served.guidance!.version).toBe('guidance@0');
    // The retrained model has learnt the new take-up from the engine's own offers.
    const probe = offers(FAMILY.savings, 200, 0, 31);
    const mean = (m: typeof models.savings.model) => {
      const s = rowScorer(m);
      return probe.reduce((a, o) => a + s.score(o.row), 0) / probe.length;
    };
    expect(mean(models.savings.model)).toBeLessThan(0.1);
    expect(mean(r.served.savings!.model)).toBeGreaterThan(mean(models.savings.model) + 0.05);
    // A family with too few offers in the window is not judged.
    const quiet = new TwinRetrainer(exploration, models, { everyDays: 30, windowDays: 60, zLimit: 3, minOffers: 50, seed: 1 });
    for (const o of offers(FAMILY.savings, 20, 0.9, 25, 0.05)) quiet.offered(o);
    expect(quiet.endOfDay(30)).toBeUndefined();
    expect(quiet.checks).toEqual([]);
  });
});
