import { BankEvent, AMOUNT_SIGN, GLOBAL_CUSTOMER, EVENT_TYPES } from '../core/events.js';
import { ISO_4217, type Money } from '../core/money.js';
import { fieldIssues } from '../core/validate.js';
import type { FieldIssue } from '../core/errors.js';
import type { AppendItem } from '../store/eventLog.js';

/** What the data-quality rules need to know besides the event itself. */
export interface QualityContext {
  /** The engine clock's now (epoch ms). */
  now: number;
  /** How far in the future an occurredAt may lie (clock skew), in ms. */
  maxFutureMs: number;
  /** Customers erased under GDPR Art. 17: their events are refused. */
  erased: ReadonlySet<string>;
  /** The largest plausible amount, in minor units either way (default DEFAULT_MAX_AMOUNT_MINOR). */
  maxAmountMinor?: number;
}

/** 10 billion in a two-decimal currency: far above any retail payment, far below a typo of 9e15. */
export const DEFAULT_MAX_AMOUNT_MINOR = 1_000_000_000_000;
/** Nothing a bank holds about a living customer happened before 1900; year 0000 is a default value, not a date. */
export const EARLIEST_PLAUSIBLE = Date.parse('1900-01-01T00:00:00Z');

/** An item that could not even be parsed (a malformed JSONL line): it carries its own issues. */
export class UnparseableItem {
  constructor(readonly issues: FieldIssue[]) {}
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

export type CheckResult = { ok: true; item: AppendItem } | { ok: false; issues: FieldIssue[] };

/**
 * Validates one raw item: the schema of its type, then the data-quality rules a schema
 * cannot express. Returns the canonical item ready to append, or every broken rule.
 */
export function checkEvent(raw: unknown, ctx: QualityContext): CheckResult {
  if (raw instanceof UnparseableItem) return { ok: false, issues: raw.issues };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, issues: [{ field: '', rule: 'type', message: 'each event must be a JSON object' }] };
  }
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
    const message = type === undefined ? 'is required' : `unknown event type ${JSON.stringify(type)}; expected one of ${EVENT_TYPES.join(', ')}`;
    return { ok: false, issues: [{ field: 'type', rule: type === undefined ? 'required' : 'enum', message }] };
  }
  const parsed = BankEvent.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: fieldIssues(parsed.error) };
  const event = parsed.data;
  const t = Date.parse(event.occurredAt);
  const issues = qualityIssues(event, t, ctx);
  if (issues.length > 0) return { ok: false, issues };
  // zod builds its output in schema field order whatever order the sender used, so
  // JSON.stringify of the parsed event is already canonical (and 3× cheaper than
  // canonicalJson). Within one schemaVersion field order never changes.
  return { ok: true, item: { event, t, body: JSON.stringify(event) } };
}

function qualityIssues(event: BankEvent, t: number, ctx: QualityContext): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!Number.isFinite(t)) issues.push({ field: 'occurredAt', rule: 'format', message: 'is not a real date' });
  else if (t < EARLIEST_PLAUSIBLE) issues.push({ field: 'occurredAt', rule: 'implausible_date', message: `${event.occurredAt} is before 1900-01-01` });
  else if (t > ctx.now + ctx.maxFutureMs) {
    issues.push({ field: 'occurredAt', rule: 'future_timestamp', message: `is ${Math.round((t - ctx.now) / 1000)} s in the future (at most ${ctx.maxFutureMs / 1000} s allowed)` });
  }
  if (event.customerId !== GLOBAL_CUSTOMER && ctx.erased.has(event.customerId)) {
    issues.push({ field: 'customerId', rule: 'erased_customer', message: 'this customer was erased; their events are no longer accepted' });
  }
  const maxAmount = ctx.maxAmountMinor ?? DEFAULT_MAX_AMOUNT_MINOR;
  // Every money field of the payload (amount, balance, requested, ...), without building a list of them per event.
  const payload = event.payload as Record<string, unknown>;
  for (const key in payload) {
    const value = payload[key];
    if (!value || typeof value !== 'object' || !('minor' in value) || !('currency' in value)) continue;
    const money = value as Money;
    if (!ISO_4217.has(money.currency)) issues.push({ field: `payload.${key}.currency`, rule: 'currency', message: `${money.currency} is not an ISO 4217 currency code` });
    if (Math.abs(money.minor) > maxAmount) {
      issues.push({ field: `payload.${key}.minor`, rule: 'amount_limit', message: `${money.minor} is beyond the plausible bound of ±${maxAmount} minor units (ingest.maxAmountMinor)` });
    }
  }
  const sign = expectedSign(event);
  if (sign !== undefined) {
    const minor = (event.payload as { amount: Money }).amount.minor;
    if (Math.sign(minor) !== sign && !(minor === 0 && allowsZero(event))) {
      issues.push({ field: 'payload.amount.minor', rule: 'sign', message: `must be ${sign > 0 ? 'positive (money in)' : 'negative (money out)'} for ${describe(event)}` });
    }
  }
  if (event.type === 'loan_application' && event.payload.requested.minor <= 0) {
    issues.push({ field: 'payload.requested.minor', rule: 'sign', message: 'the amount requested must be positive' });
  }
  return issues;
}

function expectedSign(event: BankEvent): 1 | -1 | undefined {
  if (event.type === 'investment_trade') return event.payload.side === 'buy' ? -1 : 1;
  return AMOUNT_SIGN[event.type];
}

/** A missed loan repayment moves no money. */
function allowsZero(event: BankEvent): boolean {
  return event.type === 'loan_repayment' && event.payload.status === 'missed';
}

function describe(event: BankEvent): string {
  return event.type === 'investment_trade' ? `an investment ${event.payload.side}` : `a ${event.type}`;
}
