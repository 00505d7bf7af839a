/**
 * The trigger evaluator: a pure function of the event, the customer's profile and scores
 * before and after it, the clock and what already fired. No store, no clock of its own, so
 * `nextbest triggers test` and a replay of the log give the same fires as the live engine.
 */
import type { Channel } from '../core/channels.js';
import { assertUnreachable, ValidationError, type FieldIssue } from '../core/errors.js';
import { GLOBAL_CUSTOMER, type BankEvent, type EventType } from '../core/events.js';
import { compileRule, evaluatePredicate, ruleEnvironment, type RuleProgram } from '../rules/index.js';
import type { Trigger, TriggerKind, TriggerSet } from './definition.js';

/** A trigger with its condition compiled once. */
export interface CompiledTrigger {
  readonly trigger: Trigger;
  readonly condition: RuleProgram | undefined;
}

/** What the customer looked like at one moment: profile features and scores (numbers, or a state name such as `stretched`). */
export interface Readings {
  readonly profile: Readonly<Record<string, number | null>>;
  readonly scores: Readonly<Record<string, number | string>>;
  /** The keys these readings were limited to (readingKeys.ts); absent, or absent on a side: every key of that side. */
  readonly kept?: { readonly profile?: readonly string[]; readonly scores?: readonly string[] };
}

/** An earlier fire of a trigger for this customer (the once-per-period guard reads these). */
export interface EarlierFire {
  readonly triggerId: string;
  readonly at: number;
}

/** The customer facts a trigger reads: the preferred channel, and the view CEL sees as `customer`. */
export interface CustomerFacts {
  readonly preferredChannel?: Channel | undefined;
  readonly view: Readonly<Record<string, unknown>>;
}

/** One event in a customer's life, with their state before and after its features were applied. */
export interface EventMoment {
  readonly event: BankEvent;
  /** The event's time (epoch ms): fires are dated by it so a replay dates them the same. */
  readonly at: number;
  readonly customer: CustomerFacts;
  readonly before: Readings;
  readonly after: Readings;
  readonly fired: readonly EarlierFire[];
}

/** A trigger that fired: what decisioning is asked to consider, on which channels in order. */
export interface TriggerFire {
  /** `triggerId:eventId`: the idempotency key of the fire (an event fires a trigger once, however often it is replayed). */
  readonly fireId: string;
  readonly triggerId: string;
  readonly kind: TriggerKind;
  readonly customerId: string;
  readonly eventId: string;
  readonly at: number;
  readonly priority: number;
  readonly consider: { readonly actions: readonly string[]; readonly families: readonly string[] };
  readonly channels: readonly Channel[];
  /** Why it fired, in plain words (no amounts or personal data beyond the trigger's own level). */
  readonly reason: string;
}

/** A trigger that matched but did not fire, and why (for `triggers test` and metrics). */
export interface HeldBack {
  readonly triggerId: string;
  readonly reason: string;
}

export interface TriggerOutcome {
  /** Fires, highest priority first (ties by trigger id). */
  readonly fires: TriggerFire[];
  readonly heldBack: HeldBack[];
}

/** Compiles a condition in the `trigger` environment; its problems go to `issues` (undefined then). */
function compileCondition(source: string, field: string, reader: string, issues: FieldIssue[]): RuleProgram | undefined {
  try {
    const program = compileRule(source, 'trigger', field);
    // The parser takes any name; the checker knows the environment's five. A misspelt root would fail every run.
    const unknown = /^Unknown variable: (\S+)/.exec(ruleEnvironment('trigger').cel.parse(source).check().error?.message ?? '');
    if (unknown) issues.push({ field, rule: 'cel', message: `reads ${unknown[1]}, which ${reader} cannot see (it sees event, customer, profile, scores and context)` });
    return program;
  } catch (e) {
    if (e instanceof ValidationError) issues.push(...e.issues);
    else throw e;
    return undefined;
  }
}

/** Compiles a trigger set's conditions in the `trigger` environment; throws VALIDATION_FAILED naming `triggers.<i>.condition`. */
export function compileTriggers(set: TriggerSet): CompiledTrigger[] {
  const issues: FieldIssue[] = [];
  const out: CompiledTrigger[] = [];
  set.triggers.forEach((trigger, i) => {
    const condition = trigger.condition === undefined ? undefined : compileCondition(trigger.condition, `triggers.${i}.condition`, 'a trigger', issues);
    trigger.followUps.forEach((f, k) => {
      if (f.on?.condition !== undefined) compileCondition(f.on.condition, `triggers.${i}.followUps.${k}.on.condition`, 'a journey step', issues);
    });
    out.push(Object.freeze({ trigger, condition }));
  });
  if (issues.length > 0) throw new ValidationError(issues);
  return out;
}

/** The channels to try in order: the preferred one (when the trigger asks for it and the customer has one), then the fallbacks. */
export function channelsFor(trigger: Trigger, preferred: Channel | undefined): Channel[] {
  const list = trigger.channels.preferred && preferred ? [preferred, ...trigger.channels.fallbacks] : [...trigger.channels.fallbacks];
  return [...new Set(list)];
}

function read(r: Readings, measure: string): number | string | null | undefined {
  const dot = measure.indexOf('.');
  const source = measure.slice(0, dot);
  const name = measure.slice(dot + 1);
  return source === 'profile' ? r.profile[name] : r.scores[name];
}

/** Whether a threshold was crossed by this event: false before and true after (so it fires on the crossing, not while it stays). */
function crossed(t: Extract<Trigger, { kind: 'threshold' }>, before: Readings, after: Readings): string | undefined {
  const was = read(before, t.measure);
  const is = read(after, t.measure);
  if (t.enters !== undefined) return is === t.enters && was !== t.enters ? `${t.measure} entered ${t.enters}` : undefined;
  if (typeof is !== 'number' || !Number.isFinite(is)) return undefined;
  // A measure with no value before (a new customer) counts as not past the level: the first reading past it is a crossing.
  const wasNumber = typeof was === 'number' && Number.isFinite(was) ? was : undefined;
  if (t.below !== undefined) return is < t.below && (wasNumber === undefined || wasNumber >= t.below) ? `${t.measure} fell below ${t.below}` : undefined;
  if (t.above !== undefined) return is > t.above && (wasNumber === undefined || wasNumber <= t.above) ? `${t.measure} rose above ${t.above}` : undefined;
  return undefined;
}

/** Why a trigger's pattern matches this moment (before its condition and guard), or undefined. */
function matches(t: Trigger, m: Pick<EventMoment, 'event' | 'before' | 'after'>): string | undefined {
  switch (t.kind) {
    case 'event':
      return t.events.includes(m.event.type) ? `${m.event.type} event` : undefined;
    case 'threshold':
      return crossed(t, m.before, m.after);
    case 'life_event':
      return m.event.type === 'life_event' && t.kinds.includes(m.event.payload.kind) ? `life event ${m.event.payload.kind}` : undefined;
    case 'absence':
      // Absence is evaluated on the clock (evaluateAbsences), never by an event.
      return undefined;
    default:
      return assertUnreachable(t);
  }
}

/**
 * Whether some enabled trigger's pattern (event type, life-event kind or crossing) matches
 * this moment. When none does, evaluateTriggers fires nothing and holds nothing back, so the
 * consumer need not read the customer or their earlier fires.
 */
export function anyPatternMatches(triggers: readonly CompiledTrigger[], m: Pick<EventMoment, 'event' | 'before' | 'after'>): boolean {
  if (m.event.customerId === GLOBAL_CUSTOMER) return false;
  for (const t of triggers) if (t.trigger.enabled && matches(t.trigger, m) !== undefined) return true;
  return false;
}

/** Whether some enabled event or life-event trigger's pattern matches this event (no readings needed: these do not read before and after). */
export function anyEventPatternMatches(triggers: readonly CompiledTrigger[], event: BankEvent): boolean {
  for (const t of triggers) if (t.trigger.enabled && t.trigger.kind !== 'threshold' && matches(t.trigger, { event, before: NO_READINGS, after: NO_READINGS }) !== undefined) return true;
  return false;
}
const NO_READINGS: Readings = Object.freeze({ profile: {}, scores: {} });

/** The once-per-period guard: the time of an earlier fire still inside the period, or undefined. */
function guarded(t: Trigger, at: number, fired: readonly EarlierFire[]): number | undefined {
  for (const f of fired) if (f.triggerId === t.id && at - f.at < t.oncePer && at >= f.at) return f.at;
  return undefined;
}

function conditionVars(m: { event: unknown; customer: CustomerFacts; after: Readings; before: Readings; now: number }): Record<string, unknown> {
  return { event: m.event, customer: m.customer.view, profile: m.after.profile, scores: m.after.scores, context: { now: m.now, before: { profile: m.before.profile, scores: m.before.scores } } };
}

function fire(t: Trigger, customerId: string, eventId: string, at: number, preferred: Channel | undefined, reason: string): TriggerFire | HeldBack {
  const channels = channelsFor(t, preferred);
  if (channels.length === 0) return { triggerId: t.id, reason: 'no channel: the customer has no preferred channel and the trigger declares no fallback' };
  return { fireId: `${t.id}:${eventId}`, triggerId: t.id, kind: t.kind, customerId, eventId, at, priority: t.priority, consider: t.consider, channels, reason };
}

function sorted(fires: TriggerFire[]): TriggerFire[] {
  return fires.sort((a, b) => b.priority - a.priority || (a.triggerId < b.triggerId ? -1 : a.triggerId > b.triggerId ? 1 : 0));
}

function settle(t: CompiledTrigger, vars: () => Record<string, unknown>, at: number, fired: readonly EarlierFire[], make: () => TriggerFire | HeldBack, out: { fires: TriggerFire[]; heldBack: HeldBack[] }): void {
  if (t.condition) {
    const outcome = evaluatePredicate(t.condition, vars());
    if (!outcome.pass) {
      if (outcome.error) out.heldBack.push({ triggerId: t.trigger.id, reason: `condition failed: ${outcome.error}` });
      return;
    }
  }
  const earlier = guarded(t.trigger, at, fired);
  if (earlier !== undefined) {
    out.heldBack.push({ triggerId: t.trigger.id, reason: `fired at ${new Date(earlier).toISOString()}, within its once-per period` });
    return;
  }
  const f = make();
  if ('fireId' in f) out.fires.push(f);
  else out.heldBack.push(f);
}

/** The triggers an event fires for its customer, highest priority first, with those held back and why. */
export function evaluateTriggers(triggers: readonly CompiledTrigger[], m: EventMoment): TriggerOutcome {
  const out = { fires: [] as TriggerFire[], heldBack: [] as HeldBack[] };
  if (m.event.customerId === GLOBAL_CUSTOMER) return out;
  for (const t of triggers) {
    if (!t.trigger.enabled) continue;
    const why = matches(t.trigger, m);
    if (why === undefined) continue;
    settle(t, () => conditionVars({ ...m, now: m.at }), m.at, m.fired, () => fire(t.trigger, m.event.customerId, m.event.eventId, m.at, m.customer.preferredChannel, why), out);
  }
  return { fires: sorted(out.fires), heldBack: out.heldBack };
}

/** A customer's quiet spell as the clock sees it: when they last did each watched kind of thing. */
export interface QuietMoment {
  readonly customerId: string;
  readonly customer: CustomerFacts;
  readonly readings: Readings;
  /** The latest time of each event type (epoch ms); a type never seen is absent. */
  readonly lastSeen: Readonly<Partial<Record<EventType, number>>>;
  readonly now: number;
  readonly fired: readonly EarlierFire[];
}

/**
 * The absence triggers the clock fires for a customer: none of the watched events for `days`.
 * A customer never seen doing them is not absent (nothing to fall away from), and a spell
 * fires once: the fire's id names the last event before it, so the next spell is a new fire.
 */
export function evaluateAbsences(triggers: readonly CompiledTrigger[], m: QuietMoment): TriggerOutcome {
  const out = { fires: [] as TriggerFire[], heldBack: [] as HeldBack[] };
  for (const t of triggers) {
    const tr = t.trigger;
    if (!tr.enabled || tr.kind !== 'absence') continue;
    const seen = tr.events.map((e) => m.lastSeen[e]).filter((x): x is number => x !== undefined);
    if (seen.length === 0) continue;
    const last = Math.max(...seen);
    const quietDays = (m.now - last) / 86_400_000;
    if (quietDays < tr.days) continue;
    if (m.fired.some((f) => f.triggerId === tr.id && f.at >= last)) continue;
    const reason = `no ${tr.events.join(' or ')} for ${tr.days} days`;
    const vars = () => ({ event: {}, customer: m.customer.view, profile: m.readings.profile, scores: m.readings.scores, context: { now: m.now, before: { profile: m.readings.profile, scores: m.readings.scores } } });
    settle(t, vars, m.now, m.fired, () => fire(tr, m.customerId, `absence-since-${last}`, m.now, m.customer.preferredChannel, reason), out);
  }
  return { fires: sorted(out.fires), heldBack: out.heldBack };
}
