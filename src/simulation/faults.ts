/**
 * Data faults for exercising ingestion: duplicates (same event again, later), late
 * events (held back 1..maxLateDays days, so they arrive out of order) and malformed rows
 * (a corrupted copy next to the original). Each kind is one that ingestion must dedupe
 * or reject; the counts injected go to the ground truth so a test can check them.
 */
import type { BankEvent } from '../core/events.js';
import { deriveSeed, mulberry32, type Rng } from '../core/random.js';
import { STREAM } from './population.js';
import type { Scenario } from './scenario.js';

export const MALFORMED_KINDS = ['missing_field', 'bad_timestamp', 'wrong_sign', 'unknown_currency', 'unknown_type', 'bad_schema_version'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export interface FaultCounts {
  duplicates: number;
  late: number;
  malformed: number;
  malformedByKind: Record<MalformedKind, number>;
}

/** A row of the output: an event, or a raw object that is not a valid event. */
export type OutputRow = BankEvent | Record<string, unknown>;

export class FaultInjector {
  private readonly rng: Rng;
  private readonly held = new Map<number, OutputRow[]>();
  readonly counts: FaultCounts = { duplicates: 0, late: 0, malformed: 0, malformedByKind: Object.fromEntries(MALFORMED_KINDS.map((k) => [k, 0])) as Record<MalformedKind, number> };

  constructor(private readonly faults: Scenario['faults'], seed: number) {
    this.rng = mulberry32(deriveSeed(seed, STREAM.faults));
  }

  /** True when the scenario injects no faults (the fast path can skip this class). */
  static none(faults: Scenario['faults']): boolean {
    return faults.duplicateRate === 0 && faults.lateRate === 0 && faults.malformedRate === 0;
  }

  /** The rows to write for day d: what arrives late today first, then today's events with faults. */
  day(d: number, events: readonly BankEvent[]): OutputRow[] {
    const out: OutputRow[] = this.held.get(d) ?? [];
    this.held.delete(d);
    const f = this.faults;
    for (const event of events) {
      if (this.rng.next() < f.lateRate) {
        this.hold(d + 1 + Math.floor(this.rng.next() * f.maxLateDays), event);
        this.counts.late++;
      } else out.push(event);
      if (this.rng.next() < f.duplicateRate) {
        // Resent later: the same day's end or the next day.
        this.hold(d + (this.rng.next() < 0.5 ? 0 : 1), event);
        this.counts.duplicates++;
      }
      if (this.rng.next() < f.malformedRate) {
        const kind = this.corruptKind(event);
        out.push(corrupt(event, kind));
        this.counts.malformed++;
        this.counts.malformedByKind[kind]++;
      }
    }
    const sameDay = this.held.get(d);
    if (sameDay) {
      out.push(...sameDay);
      this.held.delete(d);
    }
    return out;
  }

  /** Everything still held back, once the run is over. */
  flush(): OutputRow[] {
    const days = [...this.held.keys()].sort((a, b) => a - b);
    const out = days.flatMap((d) => this.held.get(d)!);
    this.held.clear();
    return out;
  }

  private hold(day: number, row: OutputRow): void {
    const list = this.held.get(day);
    if (list) list.push(row);
    else this.held.set(day, [row]);
  }

  private corruptKind(event: BankEvent): MalformedKind {
    const kind = MALFORMED_KINDS[Math.floor(this.rng.next() * MALFORMED_KINDS.length)]!;
    const hasAmount = 'amount' in event.payload && (event.payload as { amount: { minor: number } }).amount.minor !== 0 && event.type !== 'balance_snapshot';
    if ((kind === 'wrong_sign' || kind === 'unknown_currency') && !hasAmount) return 'missing_field';
    return kind;
  }
}

/** A copy of the event broken in one way that ingestion must reject. */
export function corrupt(event: BankEvent, kind: MalformedKind): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(event)) as Record<string, unknown> & { payload: Record<string, unknown> };
  switch (kind) {
    case 'missing_field':
      delete copy.occurredAt;
      break;
    case 'bad_timestamp':
      copy.occurredAt = String(copy.occurredAt).replace('T', ' ').replace('Z', '');
      break;
    case 'wrong_sign': {
      const amount = copy.payload.amount as { minor: number };
      amount.minor = -amount.minor;
      break;
    }
    case 'unknown_currency':
      (copy.payload.amount as { currency: string }).currency = 'GBX';
      break;
    case 'unknown_type':
      copy.type = `${String(copy.type)}_v2`;
      break;
    case 'bad_schema_version':
      copy.schemaVersion = 2;
      break;
  }
  return copy;
}
