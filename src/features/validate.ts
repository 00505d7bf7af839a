import { EVENT_TYPES, type EventType } from '../core/events.js';
import { ValidationError, type FieldIssue } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import {
  AggregateFeatureDef,
  MARKET_EVENT_TYPE,
  DerivedFeatureDef,
  isDerived,
  LIFETIME_ONLY,
  NEEDS_BOUNDED_WINDOW,
  NEEDS_NUMERIC_VALUE,
  WINDOW_DAYS,
  WINDOW_NAMES,
  type FeatureDef,
  type WindowName,
} from './definition.js';
import { fieldKind, fieldsUnder, type FieldKind } from './eventFields.js';
import { compileRule, derivedFeatureEnvironment, readRule, ruleReads, type RuleProgram } from '../rules/index.js';

/** A dotted path of plain identifiers: read directly, without CEL. */
export const PLAIN_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/**
 * Checks a list of definitions and throws one ValidationError naming every problem:
 * unknown event type, field or window, an aggregation that needs a value without one,
 * bad CEL, a derived feature over an unknown feature, duplicates and cycles.
 */
export function validateDefinitions(defs: readonly unknown[]): FeatureDef[] {
  const issues: FieldIssue[] = [];
  const out: FeatureDef[] = [];
  const names = new Set<string>();
  defs.forEach((raw, i) => {
    const at = `features[${i}]`;
    const derived = raw !== null && typeof raw === 'object' && 'expr' in raw;
    const parsed = (derived ? DerivedFeatureDef : AggregateFeatureDef).safeParse(raw);
    if (!parsed.success) {
      issues.push(...fieldIssues(parsed.error, at));
      return;
    }
    const def = parsed.data as FeatureDef;
    if (names.has(def.name)) issues.push({ field: `${at}.name`, rule: 'duplicate', message: `feature "${def.name}" is defined twice` });
    names.add(def.name);
    if (!isDerived(def)) checkAggregate(def, at, issues);
    out.push(def);
  });
  if (issues.length === 0) checkDerived(out, issues);
  if (issues.length > 0) throw new ValidationError(issues, `invalid feature definitions: ${issues.map((x) => `${x.field}: ${x.message} (${x.rule})`).join('; ')}`);
  return out;
}

function checkAggregate(def: AggregateFeatureDef, at: string, issues: FieldIssue[]): void {
  const types: EventType[] = [];
  const market = def.scope === 'market';
  def.events.forEach((t, j) => {
    if (!(EVENT_TYPES as string[]).includes(t)) {
      issues.push({ field: `${at}.events[${j}]`, rule: 'unknown_event_type', message: `unknown event type "${t}"; known: ${EVENT_TYPES.join(', ')}` });
      return;
    }
    // Market events belong to no customer, and a market feature reads nothing else.
    if (market && t !== MARKET_EVENT_TYPE) issues.push({ field: `${at}.events[${j}]`, rule: 'market_events_only', message: `a feature with scope "market" reads only ${MARKET_EVENT_TYPE} events, not "${t}"` });
    else if (!market && t === MARKET_EVENT_TYPE) issues.push({ field: `${at}.events[${j}]`, rule: 'market_scope', message: `${MARKET_EVENT_TYPE} events belong to no customer: a feature over them needs scope: market` });
    else types.push(t as EventType);
  });
  if (!(WINDOW_NAMES as string[]).includes(def.window)) {
    issues.push({ field: `${at}.window`, rule: 'unknown_window', message: `unknown window "${def.window}"; use one of ${WINDOW_NAMES.join(', ')}` });
    return;
  }
  const W = WINDOW_DAYS[def.window as WindowName];
  const agg = def.aggregation;
  if (LIFETIME_ONLY.has(agg) && Number.isFinite(W)) issues.push({ field: `${at}.window`, rule: 'lifetime_only', message: `${agg} reads the whole history: use window "lifetime"` });
  if (NEEDS_BOUNDED_WINDOW.has(agg) && !Number.isFinite(W)) issues.push({ field: `${at}.window`, rule: 'bounded_window', message: `${agg} needs a bounded window (7d, 30d, 90d or 365d)` });
  if (agg === 'weekly_slope' && W < 14) issues.push({ field: `${at}.window`, rule: 'two_weeks', message: 'weekly_slope needs at least two whole weeks: use 30d, 90d or 365d' });
  if (agg === 'ewm' && def.halfLifeDays === undefined) issues.push({ field: `${at}.halfLifeDays`, rule: 'required', message: 'ewm needs halfLifeDays' });
  if (agg !== 'ewm' && def.halfLifeDays !== undefined) issues.push({ field: `${at}.halfLifeDays`, rule: 'unused', message: 'only ewm takes halfLifeDays' });
  if ((NEEDS_NUMERIC_VALUE.has(agg) || agg === 'distinct_count') && def.value === undefined) issues.push({ field: `${at}.value`, rule: 'required', message: `${agg} needs a value (a field path or CEL over event)` });
  if (types.length === 0) return;
  if (def.where !== undefined) {
    for (const path of checkCel(def.where, `${at}.where`, issues)) checkPath(types, path, `${at}.where`, issues, false);
  }
  if (def.value !== undefined) {
    if (PLAIN_PATH.test(def.value)) {
      const kind = checkPath(types, def.value, `${at}.value`, issues, true);
      const wantsNumber = NEEDS_NUMERIC_VALUE.has(agg) || agg === 'trend_ratio' || agg === 'weekly_slope' || agg === 'count' || agg === 'active_days';
      if (kind && wantsNumber && kind !== 'number' && kind !== 'boolean') issues.push({ field: `${at}.value`, rule: 'numeric_field', message: `${def.value} holds a ${kind}; ${agg} needs a number` });
      if (kind && agg === 'distinct_count' && kind !== 'string' && kind !== 'number') issues.push({ field: `${at}.value`, rule: 'scalar_field', message: `${def.value} holds a ${kind}; distinct_count needs a string or number` });
    } else {
      for (const path of checkCel(def.value, `${at}.value`, issues)) checkPath(types, path, `${at}.value`, issues, false);
    }
  }
}

/** Compiles an event rule (syntax and cost limits), naming `field`; gives the event paths it reads (without `event.`). */
function checkCel(expr: string, field: string, issues: FieldIssue[]): string[] {
  let program: RuleProgram;
  try {
    program = compileRule(expr, 'feature', field);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    issues.push(...e.issues);
    return [];
  }
  return ruleReads(program)!.paths.filter((p) => p.startsWith('event.')).map((p) => p.slice('event.'.length));
}

/**
 * A path must exist in at least one source event type. In CEL a path may go on into a
 * method or macro (`event.payload.topics.exists(...)`), so it is checked only as far as
 * objects go.
 */
function checkPath(types: EventType[], path: string, field: string, issues: FieldIssue[], exact: boolean): FieldKind | undefined {
  const parts = path.split('.');
  let kind: FieldKind | undefined;
  for (const t of types) {
    let k: FieldKind | undefined;
    for (let n = 1; n <= parts.length; n++) {
      k = fieldKind(t, parts.slice(0, n).join('.'));
      if (k === undefined) break;
      if (k !== 'object' && !exact) break;
    }
    if (k !== undefined) {
      kind = k;
      break;
    }
  }
  if (kind === undefined) {
    // List the fields at the deepest level of the path that exists.
    let depth = parts.length - 1;
    while (depth > 0 && !types.some((t) => fieldKind(t, parts.slice(0, depth).join('.')) === 'object')) depth--;
    const parent = parts.slice(0, depth).join('.');
    const known = [...new Set(types.flatMap((t) => fieldsUnder(t, parent)))];
    issues.push({ field, rule: 'unknown_field', message: `no event of type ${types.join('/')} has field "${path}"${known.length ? `; fields here: ${known.join(', ')}` : ''}` });
  }
  return kind;
}

/** Derived features may use any other feature; cycles are refused. */
function checkDerived(defs: FeatureDef[], issues: FieldIssue[]): void {
  const all = new Set(defs.map((d) => d.name));
  defs.forEach((def, i) => {
    if (!isDerived(def)) return;
    let deps: string[];
    try {
      deps = derivedDeps(def.expr, all);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      issues.push({ field: `features[${i}].expr`, rule: 'cel', message: `not valid CEL over features (numbers are doubles: write 2.0): ${e.issues[0]!.message.replace(/^does not compile: /, '')}` });
      return;
    }
    const env = derivedFeatureEnvironment(deps);
    let msg: string | undefined;
    try {
      const r = env.cel.check(def.expr);
      if (!r.valid) msg = (r.error?.message ?? 'invalid').split('\n')[0]!;
    } catch (e) {
      msg = (e as Error).message.split('\n')[0]!;
    }
    if (msg === undefined) {
      try {
        compileRule(def.expr, env, `features[${i}].expr`);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        issues.push(...e.issues);
        return;
      }
    }
    if (msg !== undefined) {
      const unknown = /Unknown variable: (\w+)/.exec(msg);
      if (unknown) issues.push({ field: `features[${i}].expr`, rule: 'unknown_feature', message: `no feature named "${unknown[1]}"` });
      else issues.push({ field: `features[${i}].expr`, rule: 'cel', message: `not valid CEL over features (numbers are doubles: write 2.0): ${msg}` });
    }
  });
  if (issues.length === 0) {
    try {
      derivedOrder(defs);
    } catch (e) {
      issues.push({ field: 'features', rule: 'cycle', message: (e as Error).message });
    }
  }
}

/** The feature names an expression uses, in the order they first appear; throws VALIDATION_FAILED when it does not parse. */
export function derivedDeps(expr: string, names: ReadonlySet<string>): string[] {
  return [...readRule(expr, FORMULA_READER, 'expr').variables].filter((n) => names.has(n));
}

/** Reads formulas only: which names they use, whatever the feature set declares. */
const FORMULA_READER = derivedFeatureEnvironment([]);

/** Derived features in an order where each comes after the features it uses. */
export function derivedOrder(defs: readonly FeatureDef[]): string[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const names = new Set(byName.keys());
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`derived features form a cycle: ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    const def = byName.get(name)!;
    if (isDerived(def)) for (const d of derivedDeps(def.expr, names)) visit(d, [...path, name]);
    state.set(name, 'done');
    if (isDerived(def)) order.push(name);
  };
  for (const d of defs) visit(d.name, []);
  return order;
}
