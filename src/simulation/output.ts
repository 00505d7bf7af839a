/**
 * Runs a scenario to files: events.jsonl and/or events.csv in event-time order (faults
 * aside), customers.jsonl, groundtruth.jsonl (hidden truth rows, never in the events)
 * and truth.json (the run's summary). Streams day by day; writes through a small buffer.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { BankEvent } from '../core/events.js';
import { EVENT_CSV_HEADER, eventToCsvLine } from '../ingest/csvEvents.js';
import { TYPE_NAMES } from './dayBuffer.js';
import { JsonlWriter } from './jsonlWriter.js';
import { FaultInjector, type FaultCounts, type OutputRow } from './faults.js';
import { PERSONAS } from './personas.js';
import type { Scenario } from './scenario.js';
import { Twin } from './twin.js';

export type EventFormat = 'jsonl' | 'csv';

/** A file written through a 1 MB byte buffer: each line is encoded straight into it. */
export class TextFile {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  line(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit; lines longer than the buffer go alone.
    if (this.pos + text.length * 3 + 1 > this.buf.length) {
      this.flush();
      if (text.length * 3 + 1 > this.buf.length) {
        this.bytes += writeSync(this.fd, `${text}\n`);
        return;
      }
    }
    this.pos += this.buf.write(text, this.pos, 'utf8');
    this.buf[this.pos++] = 10;
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.bytes += this.pos;
    this.pos = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export interface RunSummary {
  scenario: Scenario;
  customers: number;
  days: number;
  events: number;
  rowsWritten: number;
  eventsByType: Record<string, number>;
  personasAtStart: Record<string, number>;
  personasAtEnd: Record<string, number>;
  churned: number;
  churnedByPersona: Record<string, number>;
  startedLeaving: number;
  prepaid: number;
  lifeEvents: number;
  missedPayments: number;
  marginGBP: number;
  faults: FaultCounts | null;
  files: string[];
  seconds: number;
}

export interface RunOptions {
  outDir: string;
  formats?: EventFormat[];
  /** Called after each day with the events so far. */
  onProgress?: (day: number, events: number) => void;
}

const jsonRow = (row: OutputRow) => JSON.stringify(row);
const csvRow = (row: OutputRow) => eventToCsvLine(row as BankEvent);

/** Simulates the scenario and writes its files; returns the summary also written to truth.json. */
export function simulateToFiles(scenario: Scenario, options: RunOptions): RunSummary {
  const started = performance.now();
  const formats = options.formats ?? ['jsonl'];
  mkdirSync(options.outDir, { recursive: true });
  const twin = new Twin(scenario);
  const files: string[] = [];
  const open = (name: string) => {
    files.push(name);
    return new TextFile(join(options.outDir, name));
  };
  const customersFile = open('customers.jsonl');
  for (let i = 0; i < twin.pop.n; i++) customersFile.line(JSON.stringify(twin.pop.customerRecord(i, scenario.startDate)));
  customersFile.close();
  let jsonl: JsonlWriter | undefined;
  if (formats.includes('jsonl')) {
    files.push('events.jsonl');
    jsonl = new JsonlWriter(join(options.outDir, 'events.jsonl'));
  }
  const csv = formats.includes('csv') ? open('events.csv') : undefined;
  csv?.line(EVENT_CSV_HEADER.join(','));
  const truth = scenario.groundTruthEveryDays > 0 ? open('groundtruth.jsonl') : undefined;
  const faults = FaultInjector.none(scenario.faults) ? undefined : new FaultInjector(scenario.faults, scenario.seed);
  let events = 0;
  let rows = 0;
  const writeRows = (out: readonly OutputRow[]) => {
    for (const row of out) {
      jsonl?.text(jsonRow(row));
      csv?.line(csvRow(row));
    }
    rows += out.length;
  };

  for (let d = 0; d < scenario.days; d++) {
    twin.beginDay(d);
    const active = truth && d % scenario.groundTruthEveryDays === 0 ? activeCustomers(twin) : undefined;
    const day = twin.finishDay();
    events += day.order.length + day.market.length;
    if (faults) writeRows(faults.day(d, twin.events(day)));
    else if (csv) for (const event of twin.events(day)) csv.line(csvRow(event));
    if (!faults) rows += day.order.length + day.market.length;
    if (!faults && jsonl) {
      // Fast path: columns straight to JSON bytes, market events at noon as in Twin.events.
      let marketDone = day.market.length === 0;
      for (let j = 0; j < day.order.length; j++) {
        const k = day.order[j]!;
        if (!marketDone && day.buffer.sec[k]! >= 43_200) {
          for (const m of day.market) jsonl.text(JSON.stringify(m));
          marketDone = true;
        }
        jsonl.event(day.buffer, k, scenario.seed, day.date);
      }
      if (!marketDone) for (const m of day.market) jsonl.text(JSON.stringify(m));
    }
    if (active) for (const i of active) truth!.line(twin.truthRow(i));
    options.onProgress?.(d + 1, events);
  }
  if (faults) writeRows(faults.flush());
  jsonl?.close();
  csv?.close();
  truth?.close();
  const summary = summarise(twin, events, rows, faults?.counts ?? null, [...files, 'truth.json'], (performance.now() - started) / 1000);
  const summaryFile = new TextFile(join(options.outDir, 'truth.json'));
  summaryFile.line(JSON.stringify({ ...summary, seconds: undefined }, null, 2));
  summaryFile.close();
  return summary;
}

/** Customers still with the bank at the start of today (truth rows cover them, and the day they leave). */
function activeCustomers(twin: Twin): number[] {
  const out: number[] = [];
  for (let i = 0; i < twin.pop.n; i++) if (twin.isActive(i)) out.push(i);
  return out;
}

/** The run's summary from the twin's counters. */
export function summarise(twin: Twin, events: number, rows: number, faults: FaultCounts | null, files: string[], seconds: number): RunSummary {
  const byPersona = (counts: number[]) => Object.fromEntries(PERSONAS.map((p, k) => [p, counts[k]!]));
  const churnedByPersona = PERSONAS.map(() => 0);
  for (let i = 0; i < twin.pop.n; i++) if (twin.pop.churnDay[i]! >= 0) churnedByPersona[twin.pop.primary[i]!]!++;
  const eventsByType: Record<string, number> = {};
  TYPE_NAMES.forEach((t, k) => {
    if (twin.eventsByType[k]! > 0) eventsByType[t] = twin.eventsByType[k]!;
  });
  const market = twin.scenario.marketEvents.length;
  if (market > 0) eventsByType.market_event = market;
  return {
    scenario: twin.scenario,
    customers: twin.pop.n,
    days: twin.scenario.days,
    events,
    rowsWritten: rows,
    eventsByType,
    personasAtStart: byPersona(twin.personasAtStart),
    personasAtEnd: byPersona(twin.personaCounts()),
    churned: twin.totals.churned,
    churnedByPersona: byPersona(churnedByPersona),
    startedLeaving: twin.totals.startedLeaving,
    prepaid: twin.totals.prepaid,
    lifeEvents: twin.totals.lifeEvents,
    missedPayments: twin.totals.missedPayments,
    marginGBP: Math.round(twin.totals.margin) / 100,
    faults,
    files,
    seconds,
  };
}

