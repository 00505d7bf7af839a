/**
 * The one interface of a built-in policy kind. A decision runs the kinds in the order of
 * the list in index.ts, at up to three points: `screen` before scoring (may this action go
 * to this customer now?), `rank` after scoring (is it worth offering?), and `select` while
 * the top N are chosen (does it still fit next to those already chosen?). The first kind
 * that objects names the exclusion in the trace; its `kind` is the trace's exclusion kind.
 */
import type { CapacityTake } from '../../store/contactStore.js';
import type { PredicateOutcome } from '../../rules/index.js';
import type { CompiledAction, CompiledCatalogue } from '../compile.js';
import type { DecisionInputs } from '../trace.js';
import type { LocalTime } from '../view.js';

/** Why a policy kind excluded an action, as the trace records it. */
export interface PolicyExclusion<K extends string = string> {
  kind: K;
  /** The rule's name (shared policy, `<action>#<n>`, or a built-in such as `quiet_hours`). */
  rule: string;
  reason: string;
  /** Set when a CEL rule failed at run time (it then fails closed). */
  error?: string;
}

/** One decision as a policy sees it: the same for every action in it. */
export interface DecisionScope {
  readonly cat: CompiledCatalogue;
  readonly inputs: DecisionInputs;
  readonly now: number;
  readonly channel: string;
  /** The decision time in the customer's time zone. */
  readonly local: LocalTime;
  /** The CEL variables; `action` holds the action being screened. */
  readonly vars: Record<string, unknown>;
  /** Results of shared rules that do not read `action`, one slot each (CompiledRule.memo). */
  readonly memo: (PredicateOutcome | undefined)[];
}

/** One selection of the top N: the scope, the volume counters already full, and the counters the chosen take. */
export interface SelectionScope {
  readonly cat: CompiledCatalogue;
  readonly inputs: DecisionInputs;
  readonly now: number;
  readonly channel: string;
  readonly full: ReadonlySet<string>;
  /** Filled by policies as actions are chosen: the volume counters to take on commit. */
  readonly capacity: CapacityTake[];
}

/** A policy's check during selection: refuse an action given those already chosen; note one chosen. */
export interface SelectionCheck<K extends string> {
  refuse(a: CompiledAction): PolicyExclusion<K> | undefined;
  take(a: CompiledAction): void;
}

/** A built-in policy kind, typed by its kind, whether it owns catalogue CEL rules, and its per-action data. */
export interface PolicyDefinition<K extends string, C extends boolean, P> {
  readonly kind: K;
  /** Whether catalogue rules may have this kind (`kind: eligibility` in a policy rule); they run at this kind's place. */
  readonly catalogueRules: C;
  /**
   * What the policy works out once per action when the catalogue is compiled (prebuilt
   * exclusions, the action's rules); undefined when it has nothing to check for that action,
   * and then its `screen` is not asked about it.
   */
  readonly prepare?: (a: CompiledAction) => P | undefined;
  /** Opened once per decision; undefined when there is nothing to check in this decision (no declines, not quiet hours). */
  readonly screen?: (d: DecisionScope) => ((a: CompiledAction, prepared: P) => Readonly<PolicyExclusion<K>> | undefined) | undefined;
  /** `net` is the action's expected net value (GBP; netValue.ts): doing nothing is worth 0. */
  readonly rank?: (d: DecisionScope) => (a: CompiledAction, propensity: number, net: number) => Readonly<PolicyExclusion<K>> | undefined;
  readonly select?: (s: SelectionScope) => SelectionCheck<K>;
}

/** A built-in policy kind in the list: its per-action data is opaque to the runner. */
export type BuiltInPolicy<K extends string = string, C extends boolean = boolean> = PolicyDefinition<K, C, unknown>;

/** Defines a policy kind; the cast forgets only the type of its per-action data, which it alone reads. */
export function definePolicy<K extends string, C extends boolean, P = undefined>(p: PolicyDefinition<K, C, P>): BuiltInPolicy<K, C> {
  return p as unknown as BuiltInPolicy<K, C>;
}
