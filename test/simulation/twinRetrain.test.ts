import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { rowScorer } from '../../src/models/gbdt/index.js';
import { FAMILY } from '../../src/simulation/offers.js';
import { TWIN_MODEL_FEATURES } from '../../src/simulation/twinProfile.js';
import { plattFit, scaleMargin, TwinRetrainer, trainFamily, type LabelledOffer } from '../../src/simulation/twinRetrain.js';
import type { PropensityModel } from '../../src/decisioning/index.js';

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

describe('drift checks on the offers since the model was served', () => {
  it('judges a family offered too rarely for one check window on its offers since the model was served, and a retrained one only on what it predicted', () => {
    const exploration = offers(FAMILY.investment, 400, 0.05, 0);
    const models = { investment: trainFamily(exploration, 'investment@0', { seed: 1, rounds: 5 }) };
    const r = new TwinRetrainer(exploration, models, { everyDays: 15, windowDays: 60, zLimit: 3, minOffers: 50, seed: 1 });
    // 30 offers in each of two check windows, taken up far more often than predicted.
    for (const o of offers(FAMILY.investment, 30, 0.5, 5, 0.05)) r.offered(o);
    expect(r.endOfDay(15)).toBeUndefined();
    for (const o of offers(FAMILY.investment, 30, 0.5, 20, 0.05)) r.offered(o);
    expect(r.endOfDay(30)).toBeDefined();
    expect(r.checks.map((c) => [c.day, c.offers, c.retrained])).toEqual([[30, 60, true]]);
    // The new model is judged on its own offers only: the 60 before it no longer count.
    for (const o of offers(FAMILY.investment, 40, 0.5, 35, 0.5)) r.offered(o);
    expect(r.endOfDay(45)).toBeUndefined();
    expect(r.checks).toHaveLength(1);
  });
});

describe('calibrated family models', () => {
  it('Platt scaling recovers the slope and intercept behind the labels', () => {
    const r = mulberry32(11);
    const margins: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const m = r.next() * 8 - 6;
      margins.push(m);
      labels.push(r.next() < 1 / (1 + Math.exp(-(1.6 * m + 0.8))) ? 1 : 0);
    }
    const { a, b } = plattFit(margins, labels, 0);
    expect(a).toBeCloseTo(1.6, 1);
    expect(b).toBeCloseTo(0.8, 1);
    // Labels that already fit the margins leave them as they are.
    const fair = margins.map((m) => (r.next() < 1 / (1 + Math.exp(-m)) ? 1 : 0));
    const same = plattFit(margins, fair);
    expect(same.a).toBeCloseTo(1, 1);
    expect(same.b).toBeCloseTo(0, 1);
  });

  it('scaling the margin rewrites every leaf: the score becomes sigmoid(a × margin + b) exactly', () => {
    const rows = offers(FAMILY.savings, 400, 0.2, 0);
    const { model } = trainFamily(rows, 'savings@0', { seed: 1, rounds: 10, calibrate: false });
    const scaled = scaleMargin(model, 1.7, -0.4);
    const s0 = rowScorer(model);
    const s1 = rowScorer(scaled);
    for (const o of rows.slice(0, 20)) expect(s1.margin(o.row)).toBeCloseTo(1.7 * s0.margin(o.row) - 0.4, 9);
    expect(scaled.params).toMatchObject({ calibration: { method: 'platt', a: 1.7, b: -0.4 } });
  });

  it('a family model learnt on a rare label predicts, on average, the take-up it saw once calibrated out of fold', () => {
    // Take-up depends on the first feature: 2% below 70, 40% above; regularised trees shrink the high group towards the base rate.
    const r = mulberry32(3);
    const rows: LabelledOffer[] = Array.from({ length: 3000 }, (_, i) => {
      const x = row();
      return { row: x, family: FAMILY.credit_card, label: r.next() < (x[0]! >= 70 ? 0.4 : 0.02) ? 1 : 0, day: 0, group: i % 1000 };
    });
    const high = Array.from({ length: 500 }, () => {
      const x = row();
      x[0] = 70 + rng.next() * 30;
      return x;
    });
    const mean = (m: PropensityModel) => high.reduce((a, x) => a + rowScorer(m.model).score(x), 0) / high.length;
    const raw = mean(trainFamily(rows, 'raw', { seed: 2, rounds: 10, calibrate: false }));
    const calibrated = mean(trainFamily(rows, 'cal', { seed: 2, rounds: 10 }));
    expect(raw).toBeLessThan(0.3);
    // Calibrated, the high group's mean prediction is near what it takes up.
    expect(Math.abs(calibrated - 0.4)).toBeLessThan(Math.abs(raw - 0.4));
    expect(calibrated).toBeGreaterThan(0.3);
  });
});
