/**
 * What the engine's ingestion does to a dirty feed, for the closed loop: each row is
 * checked by the same rules `nextbest ingest` applies (schema and data quality) and an
 * event already admitted under the same eventId is dropped. The closed loop feeds the
 * policy through it when the scenario injects faults, so duplicates, late and malformed
 * rows reach the engine arm as they would reach a deployed engine.
 */
import type { BankEvent } from '../core/events.js';
import { checkEvent } from '../ingest/check.js';
import type { OutputRow } from './faults.js';


export interface GateCounts {
  /** Rows offered to the gate (events, duplicates, late arrivals and malformed rows). */
  rows: number;
  /** Rows refused by the ingestion checks. */
  rejected: number;
  /** Rows dropped because their eventId was already admitted. */
  deduplicated: number;
  /** Events admitted that arrived on a later simulated day than they happened. */
  admittedLate: number;
}

export class IngestGate {
  readonly counts: GateCounts = { rows: 0, rejected: 0, deduplicated: 0, admittedLate: 0 };
  private readonly seenByDay = new Map<number, Set<string>>();

  /**
   * `memoryDays`: how long an eventId is remembered. A duplicate arrives the same day or the
   * next and a late event up to maxLateDays after it happened, so maxLateDays + 2 suffices.
   */
  constructor(private readonly memoryDays = 7) {}

  /** The rows of simulated day d (date YYYY-MM-DD) that ingestion would admit, in arrival order. */
  admit(rows: readonly OutputRow[], d: number, date: string): BankEvent[] {
    const out: BankEvent[] = [];
    // The engine clock at the end of the simulated day: nothing in the feed is from the future.
    const now = Date.parse(`${date}T23:59:59Z`);
    const today = new Set<string>();
    this.seenByDay.set(d, today);
    this.seenByDay.delete(d - this.memoryDays);
    for (const row of rows) {
      this.counts.rows++;
      const checked = checkEvent(row, { now, maxFutureMs: 0, erased: new Set() });
      if (!checked.ok) {
        this.counts.rejected++;
        continue;
      }
      const event = checked.item.event;
      if (this.seen(event.eventId)) {
        this.counts.deduplicated++;
        continue;
      }
      today.add(event.eventId);
      if (event.occurredAt.slice(0, 10) < date) this.counts.admittedLate++;
      out.push(event);
    }
    return out;
  }

  private seen(eventId: string): boolean {
    for (const ids of this.seenByDay.values()) if (ids.has(eventId)) return true;
    return false;
  }
}
