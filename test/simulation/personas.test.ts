import { describe, expect, it } from 'vitest';
import { HOLD } from '../../src/simulation/offers.js';
import { PERSONAS } from '../../src/simulation/personas.js';
import { Population } from '../../src/simulation/population.js';
import { mixVector, parseScenario } from '../../src/simulation/scenario.js';
import { Twin } from '../../src/simulation/twin.js';
import { runTwin } from './helpers.js';

const P = Object.fromEntries(PERSONAS.map((p, k) => [p, k])) as Record<(typeof PERSONAS)[number], number>;

/** Four binomial standard errors: a correct generator fails this about once in 15,000 checks. */
const tolerance = (share: number, n: number) => 4 * Math.sqrt((share * (1 - share)) / n);

describe('persona statistics match the scenario', () => {
  const scenario = parseScenario({ customers: 6000, days: 1, seed: 2024 });
  const pop = Population.create(scenario);
  const mix = mixVector(scenario.personaMix);

  it('main persona shares are within 4 binomial standard errors of the scenario mix', () => {
    const counts = new Float64Array(PERSONAS.length);
    for (let i = 0; i < pop.n; i++) counts[pop.primary[i]!]!++;
    PERSONAS.forEach((_, k) => expect(Math.abs(counts[k]! / pop.n - mix[k]!)).toBeLessThan(tolerance(mix[k]!, pop.n)));
  });

  it('the persona mix is a blend: second personas give on average the scenario personaBlend weight', () => {
    let secondWeight = 0;
    let blended = 0;
    for (let i = 0; i < pop.n; i++) {
      if (pop.secondary[i] !== pop.primary[i]) {
        secondWeight += 1 - pop.weight[i]!;
        blended++;
      }
    }
    expect(blended / pop.n).toBeGreaterThan(0.75); // 6 of 7 second draws differ
    expect(Math.abs(secondWeight / blended - scenario.personaBlend)).toBeLessThan(0.01);
  });

  it('cash-rich savers hold at least £10,000 idle; families hold mortgages; students are 18-24; stretched run overdrafts', () => {
    const by = (persona: number, test: (i: number) => boolean) => {
      let n = 0;
      let yes = 0;
      for (let i = 0; i < pop.n; i++) {
        if (pop.primary[i] !== persona) continue;
        n++;
        if (test(i)) yes++;
      }
      return yes / n;
    };
    expect(by(P.cash_rich_saver, (i) => pop.current[i]! + pop.savings[i]! >= 1_000_000)).toBe(1);
    expect(by(P.mortgage_family, (i) => (pop.holdings[i]! & HOLD.mortgage) !== 0)).toBeGreaterThan(0.85);
    expect(by(P.student, (i) => pop.age[i]! >= 18 && pop.age[i]! <= 24)).toBe(1);
    expect(by(P.retiree, (i) => pop.age[i]! >= 66)).toBe(1);
    expect(by(P.stretched, (i) => (pop.holdings[i]! & HOLD.overdraft) !== 0)).toBeGreaterThan(0.3);
    expect(by(P.cash_rich_saver, (i) => (pop.holdings[i]! & HOLD.overdraft) !== 0)).toBeLessThan(0.05);
  });

  it('behaviour follows the persona: travellers spend abroad, young professionals live in the app, savers stay rich', () => {
    const { twin, days } = runTwin({ customers: 800, days: 40, seed: 31 });
    const abroad = new Float64Array(twin.pop.n);
    const spend = new Float64Array(twin.pop.n);
    const logins = new Float64Array(twin.pop.n);
    for (const day of days) {
      for (const e of day) {
        if (e.customerId === '*') continue;
        const i = Number(e.customerId.slice(1)) - 1;
        if (e.type === 'card_payment') {
          spend[i] = spend[i]! - e.payload.amount.minor;
          if (e.payload.merchantCountry !== 'GB') abroad[i] = abroad[i]! - e.payload.amount.minor;
        } else if (e.type === 'login') logins[i] = logins[i]! + 1;
      }
    }
    const share = (persona: number, num: Float64Array, den?: Float64Array) => {
      let a = 0;
      let b = 0;
      for (let i = 0; i < twin.pop.n; i++) {
        if (twin.pop.primary[i] !== persona) continue;
        a += num[i]!;
        b += den ? den[i]! : 1;
      }
      return a / b;
    };
    const travellerAbroad = share(P.traveller, abroad, spend);
    for (const p of [P.young_professional, P.mortgage_family, P.retiree, P.stretched]) expect(travellerAbroad).toBeGreaterThan(3 * share(p, abroad, spend));
    expect(share(P.young_professional, logins)).toBeGreaterThan(3 * share(P.retiree, logins));
    let savers = 0;
    let rich = 0;
    for (let i = 0; i < twin.pop.n; i++) {
      if (twin.pop.primary[i] !== P.cash_rich_saver || !twin.isActive(i)) continue;
      savers++;
      if (twin.pop.current[i]! + twin.pop.savings[i]! >= 1_000_000) rich++;
    }
    expect(rich / savers).toBeGreaterThan(0.9);
  });

  it('drift re-draws the persona mix on the given day', () => {
    const newMix = { student: 0.5, retiree: 0.3, stretched: 0.2 };
    const twin = new Twin(parseScenario({ customers: 5000, days: 12, seed: 5, drift: [{ day: 10, share: 0.6, personaMix: newMix }] }));
    const before = twin.personaCounts();
    for (let d = 0; d < 11; d++) {
      twin.beginDay(d);
      twin.finishDay();
    }
    const after = twin.personaCounts();
    const oldShare = mixVector(twin.scenario.personaMix);
    const target = mixVector(newMix);
    PERSONAS.forEach((_, k) => {
      const expected = 0.4 * oldShare[k]! + 0.6 * target[k]!;
      expect(Math.abs(after[k]! / 5000 - expected)).toBeLessThan(tolerance(expected, 5000) + 0.015);
    });
    expect(after[P.student]).toBeGreaterThan(2 * before[P.student]!);
  });
});
