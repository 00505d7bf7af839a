import { describe, expect, it } from 'vitest';
import { T } from '../../src/simulation/dayBuffer.js';
import { FAMILY, HOLD } from '../../src/simulation/offers.js';
import { PERSONAS } from '../../src/simulation/personas.js';
import { parseScenario, type ScenarioInput } from '../../src/simulation/scenario.js';
import { acceptProbability, prepaymentHazard } from '../../src/simulation/truth.js';
import { Twin } from '../../src/simulation/twin.js';

/** Runs the twin without a policy and returns it at the end. */
function play(input: ScenarioInput, onDay?: (twin: Twin, d: number) => void): Twin {
  const twin = new Twin(parseScenario(input));
  for (let d = 0; d < twin.scenario.days; d++) {
    twin.beginDay(d);
    onDay?.(twin, d);
    twin.finishDay();
  }
  return twin;
}

const SEEDS = [1, 2, 3];
const base = { customers: 800, days: 60, groundTruthEveryDays: 0 } as const;

describe('market shocks and inflation move behaviour', () => {
  it('a rate cut raises the hidden prepayment hazard and the prepayments that follow, on every seed', () => {
    for (const seed of SEEDS) {
      let hazardFlat = 0;
      let hazardCut = 0;
      const meanHazard = (twin: Twin) => {
        let s = 0;
        for (let i = 0; i < twin.pop.n; i++) s += prepaymentHazard(twin.pop, i, twin.today.day, twin.market);
        return s;
      };
      const flat = play({ ...base, seed }, (t, d) => d === 30 && (hazardFlat = meanHazard(t)));
      const cut = play({ ...base, seed, marketEvents: [{ day: 0, kind: 'base_rate_change', value: 3.75 }] }, (t, d) => d === 30 && (hazardCut = meanHazard(t)));
      expect(hazardCut, `seed ${seed}`).toBeGreaterThan(2 * hazardFlat);
      expect(cut.totals.prepaid, `seed ${seed}`).toBeGreaterThan(flat.totals.prepaid);
    }
  });

  it('inflation raises the nominal price of a card purchase and the share of stressed customers, on every seed', () => {
    for (const seed of SEEDS) {
      const run = (input: ScenarioInput) => {
        // Card payments over the last 30 days: their count and nominal total.
        let n = 0;
        let pence = 0;
        const twin = new Twin(parseScenario(input));
        for (let d = 0; d < twin.scenario.days; d++) {
          twin.beginDay(d);
          const { buffer } = twin.finishDay();
          if (d < twin.scenario.days - 30) continue;
          for (let k = 0; k < buffer.length; k++) if (buffer.type[k] === T.card_payment) {
            n++;
            pence -= buffer.amount[k]!;
          }
        }
        let stressed = 0;
        for (let i = 0; i < twin.pop.n; i++) if (twin.pop.stress[i]! > 0) stressed++;
        return { perPurchase: pence / n, stressed: stressed / twin.pop.n };
      };
      const calm = run({ ...base, seed, days: 90 });
      const dear = run({ ...base, seed, days: 90, inflation: 3, marketEvents: [{ day: 1, kind: 'inflation_release', value: 12 }] });
      // 12% a year: prices up 2.2-2.8% over the last 30 days.
      expect(dear.perPurchase / calm.perPurchase, `seed ${seed}`).toBeGreaterThan(1.01);
      expect(dear.stressed, `seed ${seed}`).toBeGreaterThan(calm.stressed + 0.02);
    }
  });

  it('a rate rise makes personal loans less attractive and saving more; a cut the reverse', () => {
    const twin = new Twin(parseScenario({ ...base, seed: 5 }));
    twin.beginDay(0);
    const mean = (family: number) => {
      let s = 0;
      for (let i = 0; i < twin.pop.n; i++) s += acceptProbability(twin.pop, i, family, 1, 0, twin.market);
      return s / twin.pop.n;
    };
    const loan0 = mean(FAMILY.personal_loan);
    const save0 = mean(FAMILY.savings);
    twin.market.rateDelta = 1;
    expect(mean(FAMILY.personal_loan)).toBeLessThan(loan0);
    expect(mean(FAMILY.savings)).toBeGreaterThan(save0);
    twin.market.rateDelta = -1;
    expect(mean(FAMILY.personal_loan)).toBeGreaterThan(loan0);
  });

  it('an equity fall revalues ISAs that day, puts investors off and sends money to savings', () => {
    const invest = (twin: Twin) => {
      let p = 0;
      let save = 0;
      let held = 0;
      for (let i = 0; i < twin.pop.n; i++) {
        p += acceptProbability(twin.pop, i, FAMILY.investment, 1, twin.today.day, twin.market);
        save += acceptProbability(twin.pop, i, FAMILY.savings, 1, twin.today.day, twin.market);
        held += twin.pop.invested[i]!;
      }
      return { p, save, held };
    };
    let before = { p: 0, save: 0, held: 0 };
    let after = { p: 0, save: 0, held: 0 };
    play({ ...base, seed: 4, days: 12, marketEvents: [{ day: 10, kind: 'market_shock', value: -25 }] }, (t, d) => {
      if (d === 9) before = invest(t);
      if (d === 10) after = invest(t);
    });
    expect(before.held).toBeGreaterThan(0);
    expect(after.held / before.held).toBeCloseTo(0.75, 2);
    expect(after.p).toBeLessThan(0.8 * before.p);
    expect(after.save).toBeGreaterThan(before.save);
  });

  it('inflation above the base rate puts savers off (a negative real rate)', () => {
    const twin = new Twin(parseScenario({ ...base, seed: 6, baseRate: 4 }));
    twin.beginDay(0);
    const save = () => {
      let s = 0;
      for (let i = 0; i < twin.pop.n; i++) s += acceptProbability(twin.pop, i, FAMILY.savings, 1, 0, twin.market);
      return s;
    };
    const real = save();
    twin.market.inflation = 7;
    expect(save()).toBeLessThan(0.9 * real);
  });
});

describe('product response per family and persona', () => {
  it('multiplies the hidden propensity of the named persona and family only, capped below 1', () => {
    const input = { ...base, seed: 8, personaBlend: 0 };
    const plain = new Twin(parseScenario(input));
    const tuned = new Twin(parseScenario({ ...input, response: { investment: { cash_rich_saver: 1.5 }, pension: { all: 0.5, retiree: 2 } } }));
    plain.beginDay(0);
    tuned.beginDay(0);
    const saver = PERSONAS.indexOf('cash_rich_saver');
    const retiree = PERSONAS.indexOf('retiree');
    let savers = 0;
    for (let i = 0; i < plain.pop.n; i++) {
      const p = (t: Twin, f: number) => acceptProbability(t.pop, i, f, 1, 0, t.market);
      const persona = plain.pop.primary[i]!;
      expect(p(tuned, FAMILY.investment)).toBeCloseTo(persona === saver ? Math.min(0.99, 1.5 * p(plain, FAMILY.investment)) : p(plain, FAMILY.investment), 12);
      expect(p(tuned, FAMILY.pension)).toBeCloseTo(Math.min(0.99, (persona === retiree ? 2 : 0.5) * p(plain, FAMILY.pension)), 12);
      expect(p(tuned, FAMILY.savings)).toBe(p(plain, FAMILY.savings));
      if (persona === saver) savers++;
    }
    expect(savers).toBeGreaterThan(30);
  });

  it('a blended customer gets the blend of their two personas’ multipliers', () => {
    const twin = new Twin(parseScenario({ ...base, seed: 9, personaBlend: 0.4, response: { credit_card: { traveller: 3 } } }));
    const pop = twin.pop;
    const traveller = PERSONAS.indexOf('traveller');
    const i = Array.from({ length: pop.n }, (_, k) => k).find((k) => pop.primary[k] === traveller && pop.secondary[k] !== traveller && pop.weight[k]! < 1)!;
    expect(i).toBeDefined();
    expect(pop.responseMultiplier(i, FAMILY.credit_card)).toBeCloseTo(pop.weight[i]! * 3 + (1 - pop.weight[i]!), 6);
    expect(pop.responseMultiplier(i, FAMILY.savings)).toBe(1);
    expect(HOLD.isa).toBeGreaterThan(0);
  });
});
