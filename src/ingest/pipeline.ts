import type { Clock } from '../core/clock.js';
import type { FieldIssue } from '../core/errors.js';
import type { StoredEvent } from '../core/events.js';
import type { AppendItem, EventLog } from '../store/eventLog.js';
import type { CustomerStore } from '../store/customerStore.js';
import type { NewReject, RejectStore } from '../store/rejectStore.js';
import { checkEvent } from './check.js';

export interface IngestDeps {
  eventLog: EventLog;
  customers: CustomerStore;
  rejects: RejectStore;
  clock: Clock;
  maxFutureMs: number;
  /** The plausible bound on any amount, in minor units (ingest.maxAmountMinor). */
  maxAmountMinor?: number;
  /** The quarantine keeps at most this many items (privacy.quarantineMax): the oldest go when a batch would pass it. */
  quarantineMax?: number;
  /** Told how many of the oldest quarantined items a batch pushed out. */
  onQuarantineDropped?: (dropped: number) => void;
  /**
   * Look for tombstones again once the batch is appended (stores shared by several instances):
   * an erasure on another instance may have landed between the check and the append; its
   * customer's events of this batch are then erased again and reported as refused.
   */
  recheckErased?: boolean;
}

/** The outcome for one item of a batch, in the order sent. */
export type ItemResult =
  | { index: number; status: 'accepted' | 'duplicate'; eventId: string; seq: number }
  | { index: number; status: 'rejected'; eventId?: string; issues: FieldIssue[] };

export interface IngestReport {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: ItemResult[];
  /** The events stored by this call (not duplicates), for downstream consumers. */
  stored: StoredEvent[];
}

const MAX_RAW = 4096;

/** What the quarantine keeps of an item sent for an erased customer: the rule, never the body, the id or the event id. */
const ERASED_RAW = '(withheld: the customer was erased)';
const ERASED_ISSUE: FieldIssue = { field: 'customerId', rule: 'erased_customer', message: 'this customer was erased; their events are no longer accepted' };

/**
 * Validates a batch, appends the good items in one durable transaction and quarantines
 * the rest. Each item stands alone: one bad item never blocks the others, and a
 * rejected item is never in the log.
 */
export async function ingestBatch(raws: readonly unknown[], source: string, deps: IngestDeps, rawText?: readonly string[]): Promise<IngestReport> {
  const now = deps.clock.now();
  const ids = raws.map((r) => (r && typeof r === 'object' ? (r as { customerId?: unknown }).customerId : undefined)).filter((c): c is string => typeof c === 'string');
  const erased = ids.length > 0 ? await deps.customers.erasedAmong(ids) : new Set<string>();
  const ctx = { now, maxFutureMs: deps.maxFutureMs, erased, ...(deps.maxAmountMinor !== undefined ? { maxAmountMinor: deps.maxAmountMinor } : {}) };

  const results: (ItemResult | undefined)[] = new Array(raws.length);
  const toAppend: AppendItem[] = [];
  const appendIndex: number[] = [];
  const rejects: NewReject[] = [];
  const erasedReject: NewReject = { receivedAt: now, source, eventId: null, customerId: null, issues: [ERASED_ISSUE], raw: ERASED_RAW };
  const reject = (index: number, issues: FieldIssue[]) => {
    const raw = raws[index] as { eventId?: unknown; customerId?: unknown } | null;
    const eventId = raw && typeof raw === 'object' && typeof raw.eventId === 'string' ? raw.eventId : undefined;
    const customerId = raw && typeof raw === 'object' && typeof raw.customerId === 'string' ? raw.customerId : null;
    results[index] = eventId === undefined ? { index, status: 'rejected', issues } : { index, status: 'rejected', eventId, issues };
    if (customerId !== null && erased.has(customerId)) {
      // An erased customer's data is not kept again, not even refused: only that it was refused.
      rejects.push(erasedReject);
      return;
    }
    const text = rawText?.[index] ?? safeStringify(raws[index]);
    rejects.push({ receivedAt: now, source, eventId: eventId ?? null, customerId, issues, raw: text.slice(0, MAX_RAW) });
  };

  raws.forEach((raw, index) => {
    const checked = checkEvent(raw, ctx);
    if (checked.ok) {
      toAppend.push(checked.item);
      appendIndex.push(index);
    } else reject(index, checked.issues);
  });

  const outcomes = await deps.eventLog.appendMany(toAppend, now);
  let stored: StoredEvent[] = [];
  let accepted = 0;
  let duplicates = 0;
  outcomes.forEach((outcome, k) => {
    const index = appendIndex[k]!;
    const item = toAppend[k]!;
    const eventId = item.event.eventId;
    if (outcome.status === 'conflict') {
      reject(index, [{ field: 'eventId', rule: 'conflict', message: `eventId was already used (log position ${outcome.seq}) for an event with different content` }]);
      return;
    }
    results[index] = { index, status: outcome.status, eventId, seq: outcome.seq };
    if (outcome.status === 'accepted') {
      accepted++;
      stored.push({ seq: outcome.seq, t: item.t, recordedAt: now, event: item.event });
    } else duplicates++;
  });
  if (deps.recheckErased && stored.length > 0) {
    const late = await deps.customers.erasedAmong([...new Set(stored.map((s) => s.event.customerId))]);
    if (late.size > 0) {
      for (const id of late) await deps.eventLog.eraseCustomer(id);
      appendIndex.forEach((index, k) => {
        const r = results[index];
        if (r?.status === 'accepted' && late.has(toAppend[k]!.event.customerId)) {
          accepted--;
          results[index] = { index, status: 'rejected', issues: [ERASED_ISSUE] };
          rejects.push(erasedReject);
        }
      });
      stored = stored.filter((s) => !late.has(s.event.customerId));
    }
  }
  if (rejects.length > 0) {
    await deps.rejects.addMany(rejects);
    // Bounded on insert, not only by the purge job: a flood of bad items cannot fill the disk.
    if (deps.quarantineMax !== undefined) {
      const dropped = await deps.rejects.purge({ keepNewest: deps.quarantineMax });
      if (dropped > 0) deps.onQuarantineDropped?.(dropped);
    }
  }
  return { accepted, duplicates, rejected: rejects.length, results: results as ItemResult[], stored };
}

function safeStringify(x: unknown): string {
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}
