import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseCatalogueYaml } from '../../src/decisioning/index.js';
import { runClosedLoop, type NamedPolicy } from '../../src/simulation/closedLoop.js';
import { enginePolicy, trainTwinScorer } from '../../src/simulation/enginePolicy.js';
import { ChurnSampler } from '../../src/simulation/twinScores.js';

const catalogue = parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8'));

describe('the churn score the engine reads in the twin', () => {
  it('learns who leaves from what the engine sees, ranking leavers above stayers on another seed', async () => {
    const scenario = { name: 'churn', customers: 1500 };
    const trained = await trainTwinScorer(scenario, { days: 80, seed: 2001, rounds: 10 });
    // The churn model, and the retention take-up mixture fitted with its scores (retentionTakeUp.ts) when the run's retention offers allow.
    expect(trained.scores.versions).toEqual(['twin-churn_40d@seed2001', ...(trained.leaverTakeUp ? ['twin-retention-mix@seed2001'] : [])]);
    // Score every customer on day 10 of another run, then see who has left 40 days later.
    const risk = new Map<string, number>();
    const lastSeen = new Map<string, number>();
    const watch: NamedPolicy = {
      name: 'watch',
      decide(view, ctx) {
        lastSeen.set(view.customerId, ctx.day);
        if (ctx.day === 10) risk.set(view.customerId, trained.scores.scores(view).churn_risk!);
        return null;
      },
    };
    await runClosedLoop({ scenario, policy: watch, days: 50, seed: 7 });
    const left = [...risk.keys()].filter((id) => lastSeen.get(id)! < 49);
    const stayed = [...risk.keys()].filter((id) => lastSeen.get(id) === 49);
    expect(left.length).toBeGreaterThan(5);
    // AUC: the chance a leaver scores above a stayer.
    let wins = 0;
    for (const a of left) for (const b of stayed) wins += risk.get(a)! > risk.get(b)! ? 1 : risk.get(a) === risk.get(b) ? 0.5 : 0;
    expect(wins / (left.length * stayed.length)).toBeGreaterThan(0.7);
  });

  it('trains no model from too little history', () => {
    const s = new ChurnSampler({ horizonDays: 10, everyDays: 1 });
    expect(s.train(30, 1)).toBeUndefined(); // nothing seen: too little to learn from
  });

  it('passes the scores to every decision', async () => {
    const policy = enginePolicy(catalogue, undefined, 'engine', { versions: ['fixed'], scores: () => ({ churn_risk: 0.9 }) });
    await runClosedLoop({ scenario: { name: 'x', customers: 60 }, policy, days: 1, seed: 3 });
    const d = await policy.decisioning.decision('c0000001-0-in_app').catch(() => undefined) ?? (await policy.decisioning.decision('c0000001-0-email').catch(() => undefined));
    expect(d?.inputs.scores).toEqual({ churn_risk: 0.9 });
  });
});
