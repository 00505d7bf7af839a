import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertDataDirFree, createEngine, loadConfig, trainAll, parseCatalogueYaml, writeSimulatedClock, DEFAULT_CATALOGUE, type Engine } from '../index.js';
import { ManualClock, MS_PER_DAY } from '../core/clock.js';
import { NextbestError } from '../core/errors.js';
import { readAdminKey } from '../server/startup.js';
import { comparisonTable, generateDemoBank } from '../simulation/index.js';
import { compareOnTwin } from '../simulation/enginePolicy.js';
import { readFileSync } from 'node:fs';
import { parseCommand, numberOption } from './args.js';
import { ProgressBar } from './progress.js';
import { untilSignal } from './serve.js';
import { checkPortFree, serveEngine } from './listen.js';
import { measureOnTwin } from './demoExperiment.js';
import { DemoReceiver, showLargeDeposit } from './demoTrigger.js';

const spec = {
  usage: 'nextbest demo [--customers N] [--days D] [--seed S] [--port P] [--no-train] [--no-serve] [--keep]',
  summary:
    "The main job, embedded: generates a synthetic bank with the digital twin (random offers in the loop, a few injected data faults), ingests it into a fresh store under ./.nextbest/demo, trains and promotes the models, shows a customer's profile and a next-best-action decision with its explanation, then serves the API and prints the URLs to open (until Ctrl-C). The demo runs on the twin's clock: 'today' is the day after the simulated history. With --no-serve it exits after the summary.",
  options: {
    customers: { type: 'string', default: '1000' },
    days: { type: 'string', default: '240' },
    seed: { type: 'string', default: '42' },
    port: { type: 'string', default: '8080' },
    'no-serve': { type: 'boolean' },
    'no-train': { type: 'boolean' },
    'no-compare': { type: 'boolean' },
    keep: { type: 'boolean' },
    'data-dir': { type: 'string', default: './.nextbest/demo' },
  },
  help: {
    customers: 'Synthetic customers',
    days: 'Days of history',
    seed: 'Seed: the same seed gives the same bank',
    port: 'Port for the API (0 picks a free one)',
    'no-serve': 'Exit after the summary (for tests and CI)',
    'no-train': 'Skip model training (faster)',
    'no-compare': 'Skip the closed-loop comparison of the engine with random, rules and oracle policies',
    keep: 'Keep the previous demo store instead of starting fresh',
    'data-dir': 'Where the demo store lives',
  },
} as const;

/** `nextbest demo` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const customers = numberOption(v, 'customers', 1000);
  // 240 days: after the 60-day warm-up, 90-day outcomes (churn, prepayment) are observed for three months of rows.
  const days = numberOption(v, 'days', 240);
  const seed = numberOption(v, 'seed', 42);
  const dataDir = v['data-dir'];
  // In-app decisions explore on a 20% budget (docs/bandits.md), so the log supports `nextbest ope`.
  const startDate = '2025-01-01';
  const clock = new ManualClock(Date.parse(`${startDate}T00:00:00Z`) + days * MS_PER_DAY + 9 * 3_600_000);
  // The bank's email system, for the demo: a local receiver of signed webhooks.
  const receiver = new DemoReceiver(() => clock.now());
  const emailUrl = await receiver.start();
  const config = loadConfig('nextbest.config.yaml', process.env, { dataDir, log: { level: 'warn' }, server: { port: numberOption(v, 'port', 8080) }, decisioning: { bandit: { channels: { in_app: 0.2 } } }, delivery: { pollMs: 20, webhooks: [{ channel: 'email', url: emailUrl, secret: receiver.secret }] } });
  // Before minutes of generating and training, not after: the port the demo will serve on.
  const busy = v['no-serve'] ? undefined : await checkPortFree(config.server.host, config.server.port);
  if (busy) {
    process.stderr.write(`${busy}\n`);
    await receiver.stop();
    return 1;
  }
  if (!v.keep) {
    try {
      assertDataDirFree(dataDir); // a demo still serving from it keeps its files
    } catch (e) {
      await receiver.stop(); // its listening socket would keep the process from exiting
      throw e;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  const say = (s: string) => process.stdout.write(`${s}\n`);

  // Simulated time: the twin's history ends today, so windows, quiet hours and the
  // future-timestamp check all see the bank as it is at the end of the simulation.
  const engine = await createEngine(config, { clock });
  // `nextbest serve` (and every command) on this data dir then runs on the same instant.
  writeSimulatedClock(dataDir, clock.now(), 'nextbest demo');
  const started = Date.now();
  say(`nextbest demo: a synthetic bank of ${customers.toLocaleString('en-GB')} customers over ${days} days (seed ${seed}), stored in ${join(dataDir, 'nextbest.db')}`);

  const bank = generateDemoBank({ customers, days, seed, startDate, policy: 'random', faults: { duplicateRate: 0.002, lateRate: 0.002, malformedRate: 0.0005, maxLateDays: 2 } });
  const up = await engine.upsertCustomers(bank.customers);
  say(`  customers upserted: ${up.upserted.toLocaleString('en-GB')} (rejected ${up.rejected})`);
  const totals = await ingestAll(engine, bank.events);
  const secs = (Date.now() - started) / 1000;
  say(`  events: ${totals.accepted.toLocaleString('en-GB')} accepted, ${totals.duplicates.toLocaleString('en-GB')} duplicates ignored, ${totals.rejected.toLocaleString('en-GB')} rejected into quarantine (${secs.toFixed(1)} s, ${Math.round(totals.sent / secs).toLocaleString('en-GB')} events/s)`);
  const byType = Object.entries(totals.byType).sort((a, b) => b[1] - a[1]);
  say(`  by type: ${byType.map(([t, n]) => `${t} ${n.toLocaleString('en-GB')}`).join(', ')}`);
  // Consumers (features, response links) follow the acknowledged log; a bulk load leaves them
  // behind for a while, and decisions wait for them, so the demo lets them catch up first.
  const caughtFrom = Date.now();
  await engine.consumers.caughtUp(15 * 60_000);
  say(`  derived state caught up with the log (features, response links) in ${((Date.now() - caughtFrom) / 1000).toFixed(1)} s more`);
  const rejects = await engine.rejects({ limit: 3 });
  if (rejects.length > 0) {
    say('  latest rejects (the data faults the twin injects on purpose):');
    for (const r of rejects) say(`    - ${r.eventId ?? '(no id)'}: ${r.issues.map((i) => `${i.field || '(item)'} ${i.rule}: ${i.message}`).join('; ')}`);
  }
  const unflagged = bank.customers.filter((c) => (c.vulnerabilityFlags ?? []).length === 0).map((c) => c.customerId);
  const sample = unflagged[0] ?? bank.customers[0]?.customerId;
  // The curl suggested below is for another customer: the demo's own decision for `sample`
  // used their contact cap (one contact a week on any channel). in_app is the channel with a
  // treatment for nearly every action, and quiet hours do not apply to it.

  if (!v['no-train']) await trainModels(engine, seed, say);
  if (sample) await showCustomer(engine, sample, say);
  const curlCustomer = await customerWithAnOffer(engine, unflagged.filter((id) => id !== sample).slice(0, 60));
  await liveDecisions(engine, bank, unflagged.filter((id) => id !== sample && id !== curlCustomer).slice(0, 300), dataDir, say);
  await showLargeDeposit(engine, receiver, new Set([sample, curlCustomer].filter((x): x is string => x !== undefined)), say);
  if (!v['no-compare']) await compareStrategies(seed, say);
  if (!v['no-compare']) await measureOnTwin(seed, say);

  if (v['no-serve']) {
    await engine.close();
    await receiver.stop();
    say('done (--no-serve).');
    return 0;
  }
  const served = await serveEngine(engine, config.server.host, config.server.port);
  if (!served) {
    await receiver.stop();
    return 1;
  }
  const { app, address, access } = served;
  const key = access.createdKey ?? readAdminKey(access.keyFile);
  const get = key ? 'curl -s -H "authorization: Bearer $NEXTBEST_KEY" ' : 'curl -s ';
  say('');
  if (key) say(`API key (admin${access.keyFile ? `; saved to ${access.keyFile}, mode 0600` : ''}); every /v1 call needs it:\n  export NEXTBEST_KEY=${key}`);
  else for (const line of access.notice) say(line);
  say(`API listening on ${address}. Open:`);
  say(`  ${address}/console/                           the console (log in with an API key)`);
  say(`  ${address}/docs                               API reference (OpenAPI at ${address}/openapi.json)`);
  if (sample) say(`  ${get}${address}/v1/customers/${sample}/events      one customer's events`);
  if (sample) say(`  ${get}${address}/v1/customers/${sample}             their record`);
  if (sample) say(`  ${get}${address}/v1/customers/${sample}/profile     their behavioural profile and model scores`);
  say(`  ${get}${address}/v1/models                           trained models (cards at /v1/models/{id}/card)`);
  if (curlCustomer) say(`  ${get}${address}/v1/decisions -H 'content-type: application/json' -d '{"customerId":"${curlCustomer}","channel":"in_app"}'   a decision`);
  say(`  ${get}${address}/v1/ingest/rejects                   the quarantine`);
  say(`  ${get}${address}/v1/ops/readiness                  readiness with its reasons and counts`);
  say('Ctrl-C to stop.');
  await untilSignal();
  await app.close();
  await engine.close();
  await receiver.stop();
  return 0;
}

/** Trains every model on the ingested history, promotes those that beat the base rate, and prints their metrics. */
async function trainModels(engine: Engine, seed: number, say: (s: string) => void): Promise<void> {
  const t0 = Date.now();
  let run;
  try {
    run = await trainAll(engine, { seed });
  } catch (e) {
    if (!(e instanceof NextbestError)) throw e;
    say(`  models not trained: ${e.message}`);
    return;
  }
  const data = run.data.source === 'snapshot' ? `training snapshot ${run.data.action} in ${run.data.seconds.toFixed(1)} s, ${run.data.rows.toLocaleString('en-GB')} events` : `read from the log: ${run.data.reason}`;
  say(`  models trained in ${((Date.now() - t0) / 1000).toFixed(1)} s (${data}) on ${run.window.from.slice(0, 10)} .. ${run.window.to.slice(0, 10)}; champions: ${run.promoted.length}`);
  for (const m of run.trained) {
    const metrics = Object.entries(m.metrics)
      .filter(([k, x]) => typeof x === 'number' && ['auc', 'logLoss', 'concordance', 'liftTopDecile'].includes(k))
      .map(([k, x]) => `${k} ${(x as number).toFixed(3)}`)
      .join(', ');
    say(`    - ${m.id}${metrics ? `: ${metrics}` : ''}${run.promoted.includes(m.id) ? ' (champion)' : ''}`);
  }
  for (const s of run.skipped) say(`    - skipped ${s.name}: ${s.reason}`);
  for (const n of run.notPromoted) say(`    - not promoted ${n.id}: ${n.reason}`);
}

/**
 * Runs the engine as a policy in the twin's closed loop next to the reference policies, on
 * a small fresh population (its propensity models learn from an exploration run first).
 */
async function compareStrategies(seed: number, say: (s: string) => void): Promise<void> {
  const t0 = Date.now();
  const catalogue = parseCatalogueYaml(readFileSync(DEFAULT_CATALOGUE, 'utf8'));
  const { reports } = await compareOnTwin(catalogue, { customers: 600, name: 'demo-compare' }, { days: 60, seed, trainDays: 60 });
  say('');
  say(`strategies in the twin's closed loop (600 customers x 60 days, ${((Date.now() - t0) / 1000).toFixed(1)} s):`);
  for (const line of comparisonTable(reports)) say(`  ${line}`);
  say('  (accepted value: every take-up at the oracle\'s prices, repeats included, so volume counts; net value: each customer\'s first');
  say('   suitable take-up of a family, less £1-8 a contact and £650 an unsuitable sale; harm: unsuitable offers accepted, by the twin\'s truth)');
}

/** Prints a few profile features and scores, and one decision with its explanation. */
async function showCustomer(engine: Engine, customerId: string, say: (s: string) => void): Promise<void> {
  const profile = await engine.profile(customerId);
  const pick = ['avg_monthly_balance_90d', 'idle_cash', 'salary_detected', 'logins_30d', 'login_trend_30d', 'travel_fx_share_90d', 'transfers_out_other_banks_90d', 'days_since_last_activity'];
  const shown = pick.filter((k) => profile.features[k] !== undefined).map((k) => `${k}=${fmt(profile.features[k]!.value)}`);
  const features = shown.length > 0 ? shown : Object.entries(profile.features).slice(0, 8).map(([k, f]) => `${k}=${fmt(f.value)}`);
  say('');
  say(`customer ${customerId}: ${Object.keys(profile.features).length} features, e.g. ${features.join(', ')}`);
  const scores = profile.scores;
  if (scores) say(`  scores: ${JSON.stringify(scores).slice(0, 400)}`);
  const decision = await engine.decide({ customerId, channel: 'email', n: 1 });
  const w = decision.explanation.winner;
  say(`  next best action on email: ${decision.chosen[0] ? `${decision.chosen[0].actionId} ("${decision.chosen[0].headline}", propensity ${decision.chosen[0].propensity.toFixed(3)})` : 'nothing suitable'}  [decision ${decision.decisionId}]`);
  if (w) {
    say(`  why, for the customer: ${w.customerSentence}`);
    if (w.topContributions.length > 0) say(`  top model drivers: ${w.topContributions.map((c) => `${c.label} = ${fmt(c.value)} (${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(3)})`).join(', ')}`);
  }
  say(`  ${decision.explanation.excluded.length} actions excluded by policy, e.g. ${decision.explanation.excluded.slice(0, 2).map((e) => `${e.actionId}: ${e.reason}`).join('; ')}`);
}

/** A day of in-app decisions after the history, answered by the twin: a decision log with selection probabilities and responses for `nextbest ope`. */
async function liveDecisions(engine: Engine, bank: ReturnType<typeof generateDemoBank>, ids: readonly string[], dataDir: string, say: (s: string) => void): Promise<void> {
  const made: { customerId: string; decisionId: string; actionId: string; family: string }[] = [];
  let explored = 0;
  for (const customerId of ids) {
    const d = await engine.decide({ customerId, channel: 'in_app' });
    if (d.bandit?.explored) explored++;
    const c = d.chosen[0];
    if (c) made.push({ customerId, decisionId: d.decisionId, actionId: c.actionId, family: c.family });
  }
  const outcomes = bank.liveDay(made.map((m) => ({ customerId: m.customerId, family: m.family, channel: 'in_app' })));
  const at = new Date(engine.clock.now()).toISOString();
  const events = made.flatMap((m, k) => {
    const base = { customerId: m.customerId, occurredAt: at, schemaVersion: 1, type: 'offer_response' };
    const payload = { decisionId: m.decisionId, actionId: m.actionId, channel: 'in_app' };
    const shown = { ...base, eventId: `${m.decisionId}-shown`, payload: { ...payload, response: 'shown' } };
    return outcomes[k]!.accepted ? [shown, { ...base, eventId: `${m.decisionId}-accepted`, payload: { ...payload, response: 'accepted' } }] : [shown];
  });
  if (events.length > 0) await engine.ingest(events, { source: 'demo' });
  const accepted = outcomes.filter((o) => o.accepted).length;
  say(`  live in-app decisions: ${ids.length} customers, ${made.length} offers (${explored} explored on the 20% budget), ${accepted} accepted (${events.length} response events); estimate a candidate on them: npx nextbest ope --data-dir ${dataDir} --levers levers.yaml`);
}

const fmt = (x: unknown) => (typeof x === 'number' ? String(Math.round(x * 100) / 100) : String(x));

async function ingestAll(engine: Engine, events: AsyncIterable<unknown[]> | Iterable<unknown[]>) {
  const totals = { sent: 0, accepted: 0, duplicates: 0, rejected: 0, byType: {} as Record<string, number> };
  const bar = new ProgressBar('  ingesting', undefined, 'events');
  let pending: unknown[] = [];
  const flush = async () => {
    const r = await engine.ingest(pending, { source: 'demo' });
    totals.sent += pending.length;
    totals.accepted += r.accepted;
    totals.duplicates += r.duplicates;
    totals.rejected += r.rejected;
    for (const s of r.stored) totals.byType[s.event.type] = (totals.byType[s.event.type] ?? 0) + 1;
    pending = [];
    bar.update(totals.sent);
  };
  for await (const page of events) {
    for (const e of page) {
      pending.push(e);
      if (pending.length >= 2000) await flush();
    }
  }
  if (pending.length > 0) await flush();
  bar.finish(totals.sent);
  return totals;
}

/**
 * The customer the printed curl decides for: the first of these to whom the catalogue in force
 * would offer something on in_app now (a dry run: nothing logged or counted), so the example
 * shows a decision that chooses; the first of them when none would.
 */
async function customerWithAnOffer(engine: Engine, ids: readonly string[]): Promise<string | undefined> {
  for (let i = 0; i < ids.length; i += 20) {
    const run = await engine.dryRunCatalogue(engine.catalogue.catalogue, ids.slice(i, i + 20).map((customerId) => ({ customerId, channel: 'in_app' as const })));
    const hit = run.customers.find((c) => c.current.chosen.length > 0);
    if (hit) return hit.customerId;
  }
  return ids[0];
}
