/**
 * The issue-19 twin checks at a larger size than the unit tests, written to
 * bench/results/bandit-twin.md (and .json): off-policy evaluation of 50 seeded candidates
 * against their live runs in the twin, with the real engine as the logging policy, and the
 * cold-start regret curve. Quality, not speed; run with `npx tsx bench/banditTwin.ts`
 * (a few minutes on one core). `--part ope|daily|cold` runs one part only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseCatalogueYaml } from '../src/decisioning/index.js';
import { checkOnTwin, offPolicyTable, type OffPolicyCheck } from '../src/simulation/offPolicyCheck.js';
import { coldStart, coldStartTable } from '../src/simulation/coldStart.js';

const part = process.argv.includes('--part') ? process.argv[process.argv.indexOf('--part') + 1] : 'all';
/** `--seed N`: the OPE part's twin seed (candidates on N + 2); another seed checks the coverage was no lucky draw. */
const seedArg = process.argv.includes('--seed') ? Number(process.argv[process.argv.indexOf('--seed') + 1]) : 3;
const catalogue = parseCatalogueYaml(readFileSync(new URL('../catalogue/default.yaml', import.meta.url), 'utf8'));
const load = () => loadavg()[0]!.toFixed(1);
const cpu = (c: NodeJS.CpuUsage) => ((c.user + c.system) / 1e6).toFixed(0);
const sections: string[] = [];
const json: Record<string, unknown> = {};
const progress = (what: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${what}\n`);

const drLine = (c: OffPolicyCheck) => {
  const ran = c.candidates.filter((x) => x.live);
  const covered = ran.filter((x) => x.estimates.dr.low <= x.live!.truth && x.live!.truth <= x.estimates.dr.high).length;
  return `The DR 95% interval holds the candidate's live value for ${covered} of ${ran.length}; it holds the live run's realised acceptance rate (which adds the responses' own coin flips) for ${Math.round(c.drCoversRealised * ran.length)} of ${ran.length}. Mean live value − same-days value: ${c.meanLiveGap >= 0 ? '+' : ''}${c.meanLiveGap.toFixed(4)}.`;
};

if (part === 'all' || part === 'ope') {
  const scenario = { customers: 3000, days: 40, seed: seedArg };
  const t = process.cpuUsage();
  const w = Date.now();
  const c = await checkOnTwin({ scenario, catalogue, candidates: 50, seed: seedArg + 2, budget: 0.3, trainDays: 45, resamples: 200, schedule: 'once', onProgress: progress });
  json.ope = c;
  sections.push(
    `## Off-policy evaluation, one decision per customer (twin: ${scenario.customers} customers, ${scenario.days} days, seed ${scenario.seed}, candidates seed ${seedArg + 2}; ${((Date.now() - w) / 1000).toFixed(0)} s wall, ${cpu(process.cpuUsage(t))} s CPU, load ${load()})`,
    '',
    'The logging policy is the engine itself (catalogue/default.yaml, GBDT propensities trained on an exploration run of seed + 1000) exploring on in-app with budget 0.3: Thompson sampling over the actions that pass every policy (including those that lose to "no action" on their expected value) and "no action", a tenth of each exploring draw spread evenly. Each customer is decided for once, on a day of the run drawn from their id. Each candidate is the deterministic engine with seeded levers (candidate 0: the catalogue\'s own), estimated from that log through `Decisioning.offPolicy` (what `nextbest ope` runs; customer bootstrap, 200 resamples), then run on-policy in the twin on the same seed, customers and decision days. Its value: the expected acceptance per decision, from the twin\'s hidden probabilities of what it offered (0 for no offer).',
    '',
    offPolicyTable(c),
    '',
    drLine(c),
    '',
  );
}

if (part === 'all' || part === 'daily') {
  const scenario = { customers: 600, days: 30, seed: 3 };
  const t = process.cpuUsage();
  const w = Date.now();
  const c = await checkOnTwin({ scenario, catalogue, candidates: 12, seed: 5, budget: 0.3, trainDays: 45, resamples: 200, schedule: 'daily', onProgress: progress });
  json.daily = c;
  sections.push(
    `## The same per-decision estimate when the engine decides every morning (twin: ${scenario.customers} customers, ${scenario.days} days; ${((Date.now() - w) / 1000).toFixed(0)} s wall, ${cpu(process.cpuUsage(t))} s CPU, load ${load()})`,
    '',
    'Every customer every morning, as the engine runs: a candidate that contacts more is then held back by the weekly cap and cool-downs on the days after, so it answers other requests live than the ones logged. The per-decision estimate still holds the same-days value (the logged requests), but not the live one:',
    '',
    offPolicyTable(c),
    '',
    drLine(c),
    '',
  );
}

if (part === 'all' || part === 'cold') {
  const num = (flag: string, dflt: number) => (process.argv.includes(flag) ? Number(process.argv[process.argv.indexOf(flag) + 1]) : dflt);
  const scenario = { customers: num('--customers', 2000), days: num('--days', 120), seed: 7 };
  const t = process.cpuUsage();
  const w = Date.now();
  const cs = await coldStart({ scenario, newAction: 'personal_loan', coldPrior: 0.005, priorStrength: 20, budgets: [1, 0.2] });
  json.coldStart = cs;
  sections.push(
    `## Cold start (twin: ${scenario.customers} customers, ${scenario.days} days, seed ${scenario.seed}; ${((Date.now() - w) / 1000).toFixed(0)} s wall, ${cpu(process.cpuUsage(t))} s CPU, load ${load()})`,
    '',
    "personal_loan enters with a catalogue guess of 0.5% acceptance; every other family is warm-started from an exploring run on another seed (worth 20 observations). Regret: the oracle's expected net value (true acceptance × value − £1 contact) less the policy's, cumulative, in GBP.",
    '',
    coldStartTable(cs, 'personal_loan'),
    '',
  );
}

const md = ['# Bandits and off-policy evaluation on the twin (issue 19)', '', `Written by \`npx tsx bench/banditTwin.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}.`, '', ...sections].join('\n');
const suffix = `${part === 'all' ? '' : `-${part}`}${seedArg !== 3 ? `-seed${seedArg}` : ''}`;
writeFileSync(new URL(`./results/bandit-twin${suffix}.md`, import.meta.url), md);
writeFileSync(new URL(`./results/bandit-twin${suffix}.json`, import.meta.url), `${JSON.stringify(json, null, 1)}\n`);
process.stdout.write(md);
