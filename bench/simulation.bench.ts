import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench, BenchRow } from './harness.js';
import { JsonlWriter } from '../src/simulation/jsonlWriter.js';
import { simulateToFiles } from '../src/simulation/output.js';
import { runClosedLoop } from '../src/simulation/closedLoop.js';
import { rulesPolicy } from '../src/simulation/policies.js';
import { parseScenario } from '../src/simulation/scenario.js';
import { Twin } from '../src/simulation/twin.js';

const mb = () => Math.round(process.memoryUsage().rss / 2 ** 20);
/** This process's CPU seconds: on a machine shared with other jobs, wall-clock rates understate the code. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/** Runs fn and returns its result with wall and CPU seconds. */
function timed<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const w = performance.now();
  const c = cpu();
  const value = fn();
  return { value, wall: (performance.now() - w) / 1000, cpu: cpu() - c };
}

/** Generation only (behaviour + event-time sort), and generation + JSONL text, to a null sink. */
function generate(customers: number, days: number, encode: boolean): { seconds: number; cpuSeconds: number; events: number; initSeconds: number; rssMiB: number; bytes: number } {
  const t0 = performance.now();
  const twin = new Twin(parseScenario({ customers, days, seed: 1 }));
  const initSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const c1 = cpu();
  let events = 0;
  const sink = new JsonlWriter(); // no path: a null sink that counts bytes
  for (let d = 0; d < days; d++) {
    twin.beginDay(d);
    const day = twin.finishDay();
    events += day.order.length;
    if (encode) for (let j = 0; j < day.order.length; j++) sink.event(day.buffer, day.order[j]!, 1, day.date);
  }
  sink.close();
  return { seconds: (performance.now() - t1) / 1000, cpuSeconds: cpu() - c1, events, initSeconds, rssMiB: mb(), bytes: sink.bytes };
}

const bench: Bench = {
  name: 'simulation',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const big = quick ? 100_000 : 1_000_000;
    const bigDays = quick ? 2 : 5;

    const g = generate(big, bigDays, false);
    rows.push({ case: `generate ${big.toLocaleString('en-GB')} customers × ${bigDays} days, null sink`, metric: 'events/s (wall)', value: g.events / g.seconds, unit: 'events/s', goal: '≥ 500,000 events/s' });
    rows.push({ case: `generate ${big.toLocaleString('en-GB')} customers × ${bigDays} days, null sink`, metric: 'events per CPU-second', value: g.events / g.cpuSeconds, unit: 'events/s', goal: '≥ 500,000 events/s' });
    rows.push({ case: `generate ${big.toLocaleString('en-GB')} customers × ${bigDays} days, null sink`, metric: 'customer-days/s', value: (big * bigDays) / g.seconds, unit: 'customer-days/s' });
    rows.push({ case: `population of ${big.toLocaleString('en-GB')} customers`, metric: 'build time', value: g.initSeconds, unit: 's' });
    rows.push({ case: `population of ${big.toLocaleString('en-GB')} customers + one day's events`, metric: 'resident memory', value: g.rssMiB, unit: 'MiB' });
    const perDay = g.seconds / bigDays;
    rows.push({
      case: '1,000,000 customers × 365 days (extrapolated from the row above)',
      metric: 'generation time',
      value: (perDay * 365 * (1_000_000 / big)) / 60,
      unit: 'min',
      note: `${Math.round((g.events / bigDays) * 365 * (1_000_000 / big) / 1e6)} M events`,
    });

    const mid = quick ? 20_000 : 100_000;
    const midDays = quick ? 3 : 7;
    const e = generate(mid, midDays, true);
    rows.push({ case: `generate + JSONL bytes, ${mid.toLocaleString('en-GB')} × ${midDays} days, null sink`, metric: 'events/s (wall)', value: e.events / e.seconds, unit: 'events/s', goal: '≥ 500,000 events/s', note: `${Math.round(e.bytes / e.events)} bytes/event` });
    rows.push({ case: `generate + JSONL bytes, ${mid.toLocaleString('en-GB')} × ${midDays} days, null sink`, metric: 'events per CPU-second', value: e.events / e.cpuSeconds, unit: 'events/s', goal: '≥ 500,000 events/s' });

    const dir = mkdtempSync(join(tmpdir(), 'nextbest-bench-sim-'));
    try {
      const fileCustomers = quick ? 10_000 : 50_000;
      const fileDays = quick ? 3 : 7;
      const run = timed(() => simulateToFiles(parseScenario({ customers: fileCustomers, days: fileDays, seed: 2, groundTruthEveryDays: 0 }), { outDir: join(dir, 'jsonl'), formats: ['jsonl'] }));
      const jsonl = run.value;
      const fileCase = `nextbest simulate → events.jsonl file, ${fileCustomers.toLocaleString('en-GB')} × ${fileDays} days`;
      rows.push({ case: fileCase, metric: 'events/s (wall)', value: jsonl.events / run.wall, unit: 'events/s', goal: '≥ 500,000 events/s', note: 'includes building the population and customers.jsonl' });
      rows.push({ case: fileCase, metric: 'events per CPU-second', value: jsonl.events / run.cpu, unit: 'events/s', goal: '≥ 500,000 events/s' });
      rmSync(join(dir, 'jsonl'), { recursive: true });
      const csvCustomers = quick ? 2_000 : 10_000;
      const csv = simulateToFiles(parseScenario({ customers: csvCustomers, days: fileDays, seed: 2, groundTruthEveryDays: 0 }), { outDir: join(dir, 'csv'), formats: ['csv'] });
      rows.push({ case: `nextbest simulate → events.csv file, ${csvCustomers.toLocaleString('en-GB')} × ${fileDays} days`, metric: 'events/s', value: csv.events / csv.seconds, unit: 'events/s', note: 'through the generic eventToCsvLine of src/ingest' });
      const truthCustomers = quick ? 2_000 : 10_000;
      const truth = simulateToFiles(parseScenario({ customers: truthCustomers, days: fileDays, seed: 2, groundTruthEveryDays: 1 }), { outDir: join(dir, 'truth'), formats: ['jsonl'] });
      rows.push({ case: `events.jsonl + daily groundtruth.jsonl, ${truthCustomers.toLocaleString('en-GB')} × ${fileDays} days`, metric: 'events/s', value: truth.events / truth.seconds, unit: 'events/s' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const loopCustomers = quick ? 2_000 : 10_000;
    const loopDays = quick ? 10 : 30;
    const t = performance.now();
    const report = await runClosedLoop({ scenario: { customers: loopCustomers, days: loopDays, seed: 3 }, policy: rulesPolicy });
    const secs = (performance.now() - t) / 1000;
    rows.push({ case: `closed loop, rules policy, ${loopCustomers.toLocaleString('en-GB')} × ${loopDays} days`, metric: 'decisions/s', value: (loopCustomers * loopDays) / secs, unit: 'customer-days/s', note: `${report.offersShown} offers shown` });

    notes.push('Null sink: events are generated into the columnar day buffer and sorted in event time; "JSONL bytes" also encodes every event to its JSON line (the byte writer the files use).');
    notes.push('Files are written with synchronous 1 MB writes to the OS temp directory; the machine is shared with other jobs, so figures are lower bounds.');
    return { rows, notes };
  },
};

export default bench;
