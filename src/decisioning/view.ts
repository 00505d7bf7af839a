/**
 * What a decision sees of a customer: a plain, loggable view of the record (age and
 * tenure at the decision time, risk on a number scale), the consents in force on the
 * channel, and the local time in the customer's own time zone.
 */
import { ageAt, type Customer } from '../core/customer.js';
import type { StoredEvent } from '../core/events.js';

import { MS_PER_DAY as DAY_MS } from '../core/clock.js';
const RISK_LEVEL: Record<string, number> = { none: 0, low: 1, medium: 2, high: 3 };

/** The customer as rules read it (`customer.*` in CEL). Plain JSON: it is logged with each decision. */
export interface CustomerView {
  id: string;
  /** Whole years at the decision time; -1 when the date of birth is unknown (fails `age >= 18`). */
  age: number;
  resident: boolean;
  country: string;
  timeZone: string;
  riskTolerance: string;
  /** 0 none, 1 low, 2 medium, 3 high; -1 unknown (nothing with risk is suitable). */
  riskLevel: number;
  sophistication: string;
  /** No sophistication on record, or novice: first-time buyers of a product get extra care. */
  novice: boolean;
  vulnerable: boolean;
  vulnerabilityFlags: string[];
  holdings: string[];
  /** Days since customerSince; -1 when unknown. */
  tenureDays: number;
  segment: string;
  /** Investment horizon from age: long (< 50), medium (50-59), short (60+), unknown. */
  horizon: string;
  attributes: Record<string, string | number | boolean>;
}

/** Builds the rule view of a customer record at time `now`. */
export function customerView(c: Customer, now: number): CustomerView {
  const age = c.dateOfBirth ? ageAt(c.dateOfBirth, now) : -1;
  const segment = typeof c.attributes.segment === 'string' ? c.attributes.segment : 'all';
  return {
    id: c.customerId,
    age,
    resident: c.residentInCountry,
    country: c.country,
    timeZone: c.timeZone,
    riskTolerance: c.riskTolerance ?? 'unknown',
    riskLevel: c.riskTolerance ? RISK_LEVEL[c.riskTolerance]! : -1,
    sophistication: c.financialSophistication ?? 'unknown',
    novice: c.financialSophistication === undefined || c.financialSophistication === 'novice',
    vulnerable: c.vulnerabilityFlags.length > 0,
    vulnerabilityFlags: [...c.vulnerabilityFlags],
    holdings: [...c.holdings],
    tenureDays: c.customerSince ? Math.floor((now - Date.parse(`${c.customerSince}T00:00:00Z`)) / DAY_MS) : -1,
    segment,
    horizon: age < 0 ? 'unknown' : age < 50 ? 'long' : age < 60 ? 'medium' : 'short',
    attributes: { ...c.attributes },
  };
}

/**
 * Consents in force on a channel: the record's initial consents, then consent_change
 * events up to `now` in time order. A change that names a channel applies to that
 * channel only. A purpose never granted is absent (and so not granted).
 */
export function consentsInForce(c: Customer, changes: readonly StoredEvent[], channel: string, now: number): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [purpose, granted] of Object.entries(c.consents)) if (granted !== undefined) out[purpose] = granted;
  const relevant = changes.filter((e) => e.event.type === 'consent_change' && e.t <= now).sort((a, b) => a.t - b.t || a.seq - b.seq);
  for (const { event: e } of relevant) {
    if (e.type !== 'consent_change') continue;
    if (e.payload.channel !== undefined && e.payload.channel !== channel) continue;
    out[e.payload.purpose] = e.payload.granted;
  }
  return out;
}

/** The wall-clock time in a time zone. */
export interface LocalTime {
  hour: number;
  minute: number;
  /** 0 = Sunday. */
  weekday: number;
  /** YYYY-MM-DD in the zone: the key of daily counters for the customer. */
  date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The local time at `now` in `timeZone` (formatters are cached: building one costs ~50 µs). */
export function localTime(now: number, timeZone: string): LocalTime {
  // Intl formatting costs microseconds and every zone offset is a whole number of
  // minutes, so one answer per zone per minute serves every decision in that minute.
  const minute = Math.floor(now / 60_000);
  const hit = lastLocal.get(timeZone);
  if (hit && hit.minute === minute) return hit.value;
  const value = Object.freeze(formatLocal(now, timeZone));
  lastLocal.set(timeZone, { minute, value });
  return value;
}

const lastLocal = new Map<string, { minute: number; value: LocalTime }>();

function formatLocal(now: number, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(now)) parts[p.type] = p.value;
  return { hour: Number(parts.hour), minute: Number(parts.minute), weekday: WEEKDAY[parts.weekday!] ?? 0, date: `${parts.year}-${parts.month}-${parts.day}` };
}

/** Whether HH:MM `t` falls in the window [start, end), which may wrap past midnight. */
export function inWindow(hour: number, minute: number, start: string, end: string): boolean {
  const t = hour * 60 + minute;
  const s = Number(start.slice(0, 2)) * 60 + Number(start.slice(3));
  const e = Number(end.slice(0, 2)) * 60 + Number(end.slice(3));
  return s <= e ? t >= s && t < e : t >= s || t < e;
}
