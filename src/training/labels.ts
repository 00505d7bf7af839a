/**
 * Labels, declared rather than coded: what counts as the outcome, when a row is taken,
 * and how far ahead the label looks. Rows are read from the log in one pass; a row's
 * label uses only events strictly after its as-of time, its features only events at or
 * before it (features/offline.ts), so nothing from the future leaks into the inputs.
 */
import { GLOBAL_CUSTOMER, type EventType, type StoredEvent } from '../core/events.js';
import { ValidationError } from '../core/errors.js';
import type { EventLog } from '../store/eventLog.js';
import { compileRule, passes } from '../rules/index.js';

import { MS_PER_DAY as DAY_MS } from '../core/clock.js';
export { DAY_MS };

/** Events of some types, optionally filtered by a CEL expression over `event`. */
export interface EventMatcher {
  events: EventType[];
  where?: string;
}

/** "Did the customer take up the action within N days of being shown it?" One row per exposure. */
export interface ResponseLabel {
  kind: 'response';
  name: string;
  description: string;
  exposure: EventMatcher;
  outcome: EventMatcher;
  /** Payload field naming the action on both exposure and outcome (the outcome must match it). */
  actionField: string;
  /** Payload field naming the channel of the exposure. */
  channelField: string;
  withinDays: number;
}

/** "Does the outcome happen within N days?" One row per active customer per snapshot date. */
export interface HorizonLabel {
  kind: 'horizon';
  name: string;
  description: string;
  /** Days between snapshot dates. */
  everyDays: number;
  outcome: EventMatcher;
  /** Also an outcome: no activity at all for this many days (the "silent" churner). */
  inactiveDays?: number;
  /** Only customers with a matching event within `lookbackDays` before the snapshot are at risk. */
  atRisk?: EventMatcher & { lookbackDays: number };
  withinDays: number;
}

export type LabelDef = ResponseLabel | HorizonLabel;

/** One labelled row before features are joined. */
export interface LabelRow {
  customerId: string;
  /** Features are read as of this time (epoch ms). */
  asOf: number;
  /** 1 when the outcome happened within the horizon. */
  label: number;
  /** Days from as-of to the outcome, or to the end of follow-up when censored (survival). */
  time: number;
  /** 1 when `time` ends in the outcome, 0 when censored. */
  event: number;
  action?: string;
  channel?: string;
}

/** A predicate for a matcher (the snapshot evaluates the same ones once per event). */
export const matcher = (m: EventMatcher): ((e: StoredEvent) => boolean) => {
  const types = new Set(m.events);
  if (!m.where) return (e) => types.has(e.event.type);
  const rule = compileRule(m.where, 'training', 'where');
  return (e) => types.has(e.event.type) && passes(rule, { event: e.event });
};

/** A payload field as text (undefined when absent). */
export const field = (e: StoredEvent, path: string): string | undefined => {
  let v: unknown = e.event;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v === undefined || v === null ? undefined : String(v);
};

/** The window rows are drawn from: as-of times in [from, to), labels observed up to `observedUntil`. */
export interface LabelWindow {
  from: number;
  to: number;
  /** The end of the log: labels cannot look past it (binary rows whose horizon passes it are dropped). */
  observedUntil: number;
  /** Keep rows whose horizon is not yet observed, with label NaN (drift checks score them; training drops them). */
  keepUnobserved?: boolean;
}

/** Checks a label definition and window, naming the field. */
export function checkLabel(def: LabelDef, w: LabelWindow): void {
  const issues = [];
  if (!(def.withinDays > 0)) issues.push({ field: 'withinDays', rule: 'positive', message: `is ${def.withinDays}` });
  if (def.kind === 'horizon' && !(def.everyDays > 0)) issues.push({ field: 'everyDays', rule: 'positive', message: `is ${def.everyDays}` });
  if (!(w.from < w.to)) issues.push({ field: 'window', rule: 'ordered', message: 'from must be before to' });
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Label rows of a definition from the log. */
export async function labelRows(log: EventLog, def: LabelDef, w: LabelWindow): Promise<LabelRow[]> {
  checkLabel(def, w);
  return def.kind === 'response' ? responseRows(log, def, w) : horizonRows(log, def, w);
}

/** What a response label reads of one event of its scan. */
export interface ResponseInput {
  customerId: string;
  t: number;
  exposure: boolean;
  outcome: boolean;
  action: string;
  channel: string;
}

/** The scan a response label needs: events in [fromT, toT), in log order (t, seq). */
export function responseScan(def: ResponseLabel, w: LabelWindow): { fromT: number; toT: number } {
  return { fromT: w.from, toT: Math.min(w.observedUntil, w.to + def.withinDays * DAY_MS) + 1 };
}

async function responseRows(log: EventLog, def: ResponseLabel, w: LabelWindow): Promise<LabelRow[]> {
  const isExposure = matcher(def.exposure);
  const isOutcome = matcher(def.outcome);
  const types = [...new Set([...def.exposure.events, ...def.outcome.events])];
  return responseRowsFrom(def, w, async (visit) => {
    for await (const page of log.scan({ ...responseScan(def, w), types, batchSize: 20_000 })) {
      for (const e of page) {
        const exposure = isExposure(e);
        const outcome = isOutcome(e);
        if (exposure || outcome) visit({ customerId: e.event.customerId, t: e.t, exposure, outcome, action: field(e, def.actionField) ?? '', channel: field(e, def.channelField) ?? '' });
      }
    }
  });
}

/** Response rows from the exposures and outcomes of `responseScan`'s range, handed to `visit` in log order. */
export async function responseRowsFrom(def: ResponseLabel, w: LabelWindow, each: (visit: (e: ResponseInput) => void) => Promise<void>): Promise<LabelRow[]> {
  checkLabel(def, w);
  const H = def.withinDays * DAY_MS;
  const exposures: { customerId: string; t: number; action: string; channel: string }[] = [];
  const outcomes = new Map<string, { t: number; action: string }[]>();
  await each((e) => {
    const id = e.customerId;
    if (e.t < w.to && e.exposure) exposures.push({ customerId: id, t: e.t, action: e.action, channel: e.channel });
    if (e.outcome) {
      const list = outcomes.get(id) ?? [];
      list.push({ t: e.t, action: e.action });
      outcomes.set(id, list);
    }
  });
  const rows: LabelRow[] = [];
  for (const x of exposures) {
    // A label needs its whole horizon observed; later exposures wait for a later training run.
    const observed = x.t + H <= w.observedUntil;
    const hit = (outcomes.get(x.customerId) ?? []).find((o) => o.action === x.action && o.t > x.t && o.t <= x.t + H);
    if (!observed) {
      // Keeping only the early acceptances of the tail would bias the labels: such rows are for scoring only.
      if (w.keepUnobserved) rows.push({ customerId: x.customerId, asOf: x.t - 1, label: hit ? 1 : Number.NaN, time: (w.observedUntil - x.t) / DAY_MS, event: hit ? 1 : 0, action: x.action, channel: x.channel });
      continue;
    }
    const time = hit ? (hit.t - x.t) / DAY_MS : def.withinDays;
    // Features as of just before the exposure: the model scores before the offer is shown.
    rows.push({ customerId: x.customerId, asOf: x.t - 1, label: hit ? 1 : 0, time, event: hit ? 1 : 0, action: x.action, channel: x.channel });
  }
  return rows;
}

/** The scan a horizon label needs: every event in [fromT, toT), in log order; `day0` is the first day of its activity arrays. */
export function horizonScan(w: LabelWindow): { fromT: number; toT: number; day0: number } {
  const day0 = Math.floor(w.from / DAY_MS) - 400;
  return { fromT: day0 * DAY_MS, toT: w.observedUntil + 1, day0 };
}

async function horizonRows(log: EventLog, def: HorizonLabel, w: LabelWindow): Promise<LabelRow[]> {
  const isOutcome = matcher(def.outcome);
  const isAtRisk = def.atRisk ? matcher(def.atRisk) : undefined;
  const { fromT, toT } = horizonScan(w);
  return horizonRowsFrom(def, w, async (visit) => {
    for await (const page of log.scan({ fromT, toT, batchSize: 20_000 })) {
      for (const e of page) if (e.event.customerId !== GLOBAL_CUSTOMER) visit(e.event.customerId, e.t, isOutcome(e), isAtRisk?.(e) ?? false);
    }
  });
}

/** Horizon rows from every customer event of `horizonScan`'s range (the market's excluded), handed to `visit` in log order. */
export async function horizonRowsFrom(def: HorizonLabel, w: LabelWindow, each: (visit: (customerId: string, t: number, outcome: boolean, atRisk: boolean) => void) => Promise<void>): Promise<LabelRow[]> {
  checkLabel(def, w);
  const { day0 } = horizonScan(w);
  const nDays = Math.ceil(w.observedUntil / DAY_MS) - day0 + 2;
  // Per customer: days with any activity, days with an at-risk event, outcome times.
  const active = new Map<string, Uint8Array>();
  const risk = new Map<string, Uint8Array>();
  const outcomes = new Map<string, number[]>();
  const firstSeen = new Map<string, number>();
  await each((id, t, outcome, atRisk) => {
    const d = Math.floor(t / DAY_MS) - day0;
    let a = active.get(id);
    if (!a) {
      active.set(id, (a = new Uint8Array(nDays)));
      firstSeen.set(id, t);
    }
    a[d] = 1;
    if (atRisk) {
      let r = risk.get(id);
      if (!r) risk.set(id, (r = new Uint8Array(nDays)));
      r[d] = 1;
    }
    if (outcome) {
      const list = outcomes.get(id) ?? [];
      list.push(t);
      outcomes.set(id, list);
    }
  });
  const rows: LabelRow[] = [];
  const step = def.everyDays * DAY_MS;
  const H = def.withinDays;
  const lastDay = Math.floor(w.observedUntil / DAY_MS) - day0;
  for (let t = w.from; t < w.to; t += step) {
    const dt = Math.floor(t / DAY_MS) - day0;
    for (const [id, a] of active) {
      if (firstSeen.get(id)! > t) continue;
      const outs = outcomes.get(id) ?? [];
      // Already gone: an outcome at or before the snapshot ends the customer's rows.
      if (outs.some((o) => o <= t)) continue;
      const inactiveDays = def.inactiveDays;
      if (inactiveDays !== undefined && !anyIn(a, dt - inactiveDays + 1, dt)) continue;
      if (def.atRisk && !anyIn(risk.get(id), dt - def.atRisk.lookbackDays + 1, dt)) continue;
      let eventDay = Number.POSITIVE_INFINITY;
      const next = outs.find((o) => o > t);
      if (next !== undefined) eventDay = (next - t) / DAY_MS;
      if (inactiveDays !== undefined) {
        // Silent churn: the first run of inactiveDays empty days after the snapshot.
        let last = dt;
        for (let d = dt + 1; d <= lastDay && d - last <= inactiveDays; d++) if (a[d]) last = d;
        if (lastDay - last >= inactiveDays) eventDay = Math.min(eventDay, last - dt + inactiveDays);
      }
      const followUp = (w.observedUntil - t) / DAY_MS;
      const event = eventDay <= followUp ? 1 : 0;
      const time = event ? eventDay : followUp;
      if (t + H * DAY_MS > w.observedUntil) {
        // Horizon not fully observed: no binary label (an early outcome would bias it), but still a survival row.
        rows.push({ customerId: id, asOf: t, label: w.keepUnobserved && event && eventDay <= H ? 1 : Number.NaN, time, event });
        continue;
      }
      rows.push({ customerId: id, asOf: t, label: event && eventDay <= H ? 1 : 0, time, event });
    }
  }
  return rows;
}

function anyIn(a: Uint8Array | undefined, from: number, to: number): boolean {
  if (!a) return false;
  for (let d = Math.max(0, from); d <= to && d < a.length; d++) if (a[d]) return true;
  return false;
}
