/**
 * The decision itself, as pure functions of the compiled catalogue and the logged
 * inputs: `evaluate` runs every policy and scores what passes; `select` takes the top N
 * for the channel under the contact caps, session limit and volume capacity. The service
 * adds the I/O; replay runs the same two functions on a logged record.
 */
import type { CapacityTake, CapCheck } from '../store/contactStore.js';
import { capMatches } from '../store/contactStore.js';
import type { Levers } from './catalogue.js';
import { evaluateNumber, evaluatePredicate } from '../rules/index.js';
import type { CompiledAction, CompiledCatalogue, CompiledRule } from './compile.js';
import { FeatureRows, type PropensityScorer } from './scoring.js';
import type { CandidateTrace, DecisionInputs, Exclusion } from './trace.js';
import { inWindow, localTime, type LocalTime } from './view.js';

const DAY_MS = 86_400_000;

/** The outcome of running the policies and scoring: one trace per catalogue action. */
export interface Evaluation {
  traces: CandidateTrace[];
  /** Indexes into `traces` of actions that passed every static policy, best first. */
  ranked: number[];
  signals: Record<string, boolean>;
  models: Record<string, string>;
  rows: FeatureRows;
  local: LocalTime;
}

export interface EvaluateOptions {
  now: number;
  channel: string;
  levers: Levers;
  scorer: PropensityScorer;
}

/** Runs every policy over every action and scores the ones that pass. */
export function evaluate(cat: CompiledCatalogue, inputs: DecisionInputs, opts: EvaluateOptions): Evaluation {
  const { now, channel } = opts;
  const local = localTime(now, inputs.customer.timeZone);
  // Features and scores the rules read but the inputs lack are NaN (comparisons false),
  // unknown context keys are "": rules then fail closed instead of throwing per action.
  // Rules see the features they name (a rule that indexes the whole map sees every one).
  const profile: Record<string, number> = {};
  if (cat.reads.wholeProfile) for (const [k, v] of Object.entries(inputs.profile)) profile[k] = v === null ? Number.NaN : v;
  for (const k of cat.reads.profile) {
    const v = inputs.profile[k];
    profile[k] = v === null || v === undefined ? Number.NaN : v;
  }
  const scores: Record<string, number> = {};
  for (const k of cat.reads.scores) scores[k] = Number.NaN;
  Object.assign(scores, inputs.scores);
  const context: Record<string, unknown> = {};
  for (const k of cat.reads.context) context[k] = '';
  Object.assign(context, inputs.context, { channel, hour: local.hour, minute: local.minute, weekday: local.weekday, localDate: local.date, sessionId: inputs.sessionId ?? '' });
  const vars: Record<string, unknown> = { customer: inputs.customer, profile, scores, signals: {}, context, action: undefined };
  const signals: Record<string, boolean> = {};
  for (const s of cat.signals) signals[s.name] = evaluatePredicate(s.program, vars).pass;
  vars.signals = signals;

  const memo: ({ pass: boolean; error?: string } | undefined)[] = new Array(cat.sharedSlots);
  const rows = new FeatureRows(inputs.profile);
  // Objecting to profiling (UK GDPR Art. 21) means no model scores: priors only.
  const useModels = inputs.consents.profiling !== false;
  const cp = cat.catalogue.contactPolicy;
  const quiet = cp.quietHours && cp.quietHours.channels.includes(channel as never) && inWindow(local.hour, local.minute, cp.quietHours.start, cp.quietHours.end);
  const minPropensity = cat.catalogue.arbitration.minPropensity;
  const models: Record<string, string> = {};
  const traces: CandidateTrace[] = [];
  const ranked: number[] = [];
  const staticOpts: Parameters<typeof staticExclusion>[4] = { now, channel, quiet: Boolean(quiet), cooldownDays: 0 };

  for (const a of cat.actions) {
    const trace: CandidateTrace = { actionId: a.action.id, family: a.action.family, status: 'excluded' };
    traces.push(trace);
    vars.action = a.vars;
    staticOpts.cooldownDays = a.action.declineCooldownDays ?? cp.declineCooldownDays;
    const excluded = staticExclusion(a, inputs, vars, memo, staticOpts);
    if (excluded) {
      trace.excludedBy = excluded;
      continue;
    }
    const scored = useModels ? opts.scorer.score(a.vars, rows) : undefined;
    const propensity = scored ? scored.propensity : a.action.prior;
    const contextWeight = a.contextWeight ? weight(evaluateNumber(a.contextWeight, vars)) : 1;
    const lever = (opts.levers.families[a.action.family] ?? 1) * (opts.levers.actions[a.action.id] ?? 1);
    const value = a.action.value.amountGbp;
    if (propensity < minPropensity) {
      trace.propensity = propensity;
      trace.propensitySource = scored ? 'model' : 'prior';
      trace.excludedBy = { kind: 'arbitration', rule: 'min_propensity', reason: `take-up chance ${(100 * propensity).toFixed(1)}% is below the ${(100 * minPropensity).toFixed(1)}% floor` };
      continue;
    }
    trace.status = 'ranked';
    trace.propensity = propensity;
    trace.propensitySource = scored ? 'model' : 'prior';
    if (scored) {
      trace.modelVersion = scored.modelVersion;
      models[a.action.id] = scored.modelVersion;
    }
    trace.contextWeight = contextWeight;
    trace.value = value;
    trace.lever = lever;
    trace.priority = propensity * contextWeight * value * lever;
    ranked.push(traces.length - 1);
  }
  // Deterministic: priority, then the action id, so equal priorities never flip between runs.
  ranked.sort((i, j) => traces[j]!.priority! - traces[i]!.priority! || (traces[i]!.actionId < traces[j]!.actionId ? -1 : 1));
  ranked.forEach((i, r) => (traces[i]!.rank = r + 1));
  vars.action = undefined;
  return { traces, ranked, signals, models, rows, local };
}

/** A context weight scales a priority: no number, or a negative one, is neutral. */
const weight = (w: number): number => (w >= 0 ? w : 1);

function staticExclusion(
  a: CompiledAction,
  inputs: DecisionInputs,
  vars: Record<string, unknown>,
  memo: ({ pass: boolean; error?: string } | undefined)[],
  o: { now: number; channel: string; quiet: boolean; cooldownDays: number; quietExclusion?: Readonly<Exclusion> },
): Readonly<Exclusion> | undefined {
  if (o.now < a.validFromMs || o.now >= a.validToMs) return a.outOfDates;
  if (!(o.channel in a.action.treatments)) {
    let e = a.noChannel.get(o.channel);
    if (!e) a.noChannel.set(o.channel, (e = Object.freeze({ kind: 'channel', rule: 'treatment', reason: `has no treatment for the ${o.channel} channel` })));
    return e;
  }
  if (a.action.purpose !== 'service' && inputs.consents[a.action.purpose] !== true) {
    return inputs.consents[a.action.purpose] === false ? a.noConsent.withdrawn : a.noConsent.absent;
  }
  for (const r of a.rules) {
    const out = ruleResult(r, vars, memo);
    if (!out.pass) return out.error ? { kind: r.kind, rule: r.name, reason: r.reason, error: out.error } : r.exclusion;
  }
  if (o.quiet) return (o.quietExclusion ??= Object.freeze({ kind: 'contact', rule: 'quiet_hours', reason: `quiet hours in the customer's time zone (${inputs.customer.timeZone})` }));
  const since = o.now - o.cooldownDays * DAY_MS;
  if (o.cooldownDays > 0 && inputs.history.declines.some((d) => d.actionId === a.action.id && d.at > since && d.at <= o.now)) {
    return { kind: 'contact', rule: 'decline_cooldown', reason: `declined in the last ${o.cooldownDays} days` };
  }
  return undefined;
}

function ruleResult(r: CompiledRule, vars: Record<string, unknown>, memo: ({ pass: boolean; error?: string } | undefined)[]): { pass: boolean; error?: string } {
  if (r.memo < 0) return evaluatePredicate(r.program, vars);
  return (memo[r.memo] ??= evaluatePredicate(r.program, vars));
}

/** The contact caps that bind a decision on `channel`, as store checks. */
export function capsFor(cat: CompiledCatalogue, channel: string): readonly CapCheck[] {
  let caps = cat.perChannel.get(channel) as readonly CapCheck[] | undefined;
  if (!caps) {
    caps = Object.freeze(
      cat.catalogue.contactPolicy.caps
        .filter((c) => c.channel === '*' || c.channel === channel)
        .map((c) => Object.freeze({ channel: c.channel, ...(c.family ? { family: c.family } : {}), max: c.max, periodMs: c.periodDays * DAY_MS })),
    );
    cat.perChannel.set(channel, caps);
  }
  return caps;
}

/** The volume counters an action on a channel takes on the decision's day (UTC). */
export function capacityFor(cat: CompiledCatalogue, a: CompiledAction, channel: string, now: number): CapacityTake[] {
  const perChannel = cat.catalogue.contactPolicy.channelDailyCapacity[channel as never] as number | undefined;
  if (perChannel === undefined && a.action.dailyCapacity === undefined) return [];
  const day = new Date(now).toISOString().slice(0, 10);
  const out: CapacityTake[] = [];
  if (perChannel !== undefined) out.push({ key: `channel:${channel}:${day}`, max: perChannel });
  if (a.action.dailyCapacity !== undefined) out.push({ key: `action:${a.action.id}:${day}`, max: a.action.dailyCapacity });
  return out;
}

export interface Selection {
  chosen: number[];
  capacity: CapacityTake[];
}

/**
 * Takes the best ranked actions, up to `n`, that keep every frequency cap and the session
 * limit (counting the ones already picked) and whose volume counters are not in `full`.
 * Marks the traces of those it passes over.
 */
export function select(cat: CompiledCatalogue, ev: Evaluation, inputs: DecisionInputs, o: { now: number; channel: string; n: number; full: ReadonlySet<string> }): Selection {
  const caps = capsFor(cat, o.channel);
  const counts = caps.map((cap) => inputs.history.contacts.filter((c) => capMatches(cap, c, o.now)).length);
  const maxSession = cat.catalogue.contactPolicy.maxActionsPerSession;
  let session = inputs.sessionId ? inputs.history.contacts.filter((c) => c.sessionId === inputs.sessionId).length : 0;
  const chosen: number[] = [];
  const capacity: CapacityTake[] = [];
  for (const i of ev.ranked) {
    const t = ev.traces[i]!;
    if (chosen.length >= o.n) break;
    const a = cat.byId.get(t.actionId)!;
    const probe = { channel: o.channel, family: a.action.family, at: o.now };
    const broken = caps.findIndex((cap, k) => capMatches(cap, probe, o.now) && counts[k]! + 1 > cap.max);
    if (broken >= 0) {
      const cap = caps[broken]!;
      t.status = 'excluded';
      t.excludedBy = { kind: 'contact', rule: 'frequency_cap', reason: `at most ${cap.max} ${cap.family ? `${cap.family} ` : ''}contacts${cap.channel === '*' ? '' : ` by ${cap.channel}`} per ${cap.periodMs / DAY_MS} days` };
      continue;
    }
    if (inputs.sessionId && maxSession !== undefined && session + 1 > maxSession) {
      t.status = 'excluded';
      t.excludedBy = { kind: 'contact', rule: 'session_limit', reason: `at most ${maxSession} actions per session` };
      continue;
    }
    const takes = capacityFor(cat, a, o.channel, o.now);
    const fullKey = takes.find((k) => o.full.has(k.key));
    if (fullKey) {
      t.status = 'excluded';
      t.excludedBy = { kind: 'volume', rule: fullKey.key.startsWith('channel:') ? 'channel_capacity' : 'action_capacity', reason: `daily capacity reached (${fullKey.max} for ${fullKey.key.split(':').slice(0, 2).join(' ')})` };
      continue;
    }
    caps.forEach((cap, k) => {
      if (capMatches(cap, probe, o.now)) counts[k]!++;
    });
    session++;
    for (const take of takes) if (!capacity.some((c) => c.key === take.key)) capacity.push(take);
    t.status = 'chosen';
    chosen.push(i);
  }
  return { chosen, capacity };
}
