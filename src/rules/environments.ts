/**
 * The named places a rule can run, each with the variables it sees and the cost it may
 * spend. One cel-js Environment per name, built once: rules of one kind always mean the
 * same thing wherever they are compiled.
 */
import { Environment } from '@marcbachmann/cel-js';
import { assertUnreachable } from '../core/errors.js';

/** Where a rule runs. `derived_feature` is a feature formula over other features (declared as doubles). */
export type RuleEnvironmentName = 'decision' | 'feature' | 'derived_feature' | 'training' | 'trigger';

/** The environments that exist once, by name (a derived feature's depends on its feature set). */
export type NamedRuleEnvironment = Exclude<RuleEnvironmentName, 'derived_feature'>;

/** What a rule may cost: checked when it is saved (compile) and counted while it runs. */
export interface RuleLimits {
  /** Deepest nesting of comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`). */
  readonly maxNesting: number;
  /** Most estimated evaluation steps, with every list or string read from the inputs counted as `assumedInputSize` long. */
  readonly maxEstimatedCost: number;
  /** The length the estimate gives a list, map or string it cannot see (one read from the variables). */
  readonly assumedInputSize: number;
  /** Most evaluation steps one run may take (each AST node evaluated is a step; a list or string built by `+` or a function costs its length). */
  readonly runBudget: number;
}

/** Limits the parser enforces (cel-js `limits`): a rule is refused before it is analysed. */
const PARSE_LIMITS = { maxAstNodes: 4000, maxDepth: 64, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 16 } as const;

/**
 * Decisions run many rules per action in the request path, so each gets a budget of about a
 * millisecond of interpreter time; feature and label filters run once per event, so less.
 */
const DECISION_LIMITS: RuleLimits = Object.freeze({ maxNesting: 2, maxEstimatedCost: 20_000, assumedInputSize: 100, runBudget: 100_000 });
const EVENT_LIMITS: RuleLimits = Object.freeze({ maxNesting: 2, maxEstimatedCost: 5_000, assumedInputSize: 100, runBudget: 25_000 });

/** One named environment: the cel-js environment and its limits. */
export interface RuleEnvironment {
  readonly name: RuleEnvironmentName;
  readonly cel: Environment;
  readonly limits: RuleLimits;
  /** The variables this environment declares, with their CEL type. */
  readonly variables: ReadonlyMap<string, 'dyn' | 'double'>;
}

function make(name: RuleEnvironmentName, limits: RuleLimits, variables: readonly string[], unlistedVariablesAreDyn: boolean, homogeneous = false): RuleEnvironment {
  const cel = new Environment({ unlistedVariablesAreDyn, homogeneousAggregateLiterals: homogeneous, limits: PARSE_LIMITS });
  for (const v of variables) cel.registerVariable(v, 'dyn');
  return Object.freeze({ name, cel, limits, variables: new Map(variables.map((v) => [v, 'dyn' as const])) });
}

const built = new Map<RuleEnvironmentName, RuleEnvironment>();

/**
 * The environment of a name. Decision rules see customer, profile, scores, signals, context
 * and action, and an unknown name fails at run time (closed) rather than at compile, as
 * catalogues have always been checked; event rules (features, training labels) see `event`
 * and an unknown name does not compile; triggers see the event and the customer's state.
 */
export function ruleEnvironment(name: NamedRuleEnvironment): RuleEnvironment {
  let env = built.get(name);
  if (env) return env;
  switch (name) {
    case 'decision':
      env = make(name, DECISION_LIMITS, [], true);
      break;
    case 'feature':
    case 'training':
      env = make(name, EVENT_LIMITS, ['event'], false);
      break;
    case 'trigger':
      env = make(name, DECISION_LIMITS, ['event', 'customer', 'profile', 'scores', 'context'], false);
      break;
    default:
      return assertUnreachable(name);
  }
  built.set(name, env);
  return env;
}

/** The environment of a derived feature: the features it may use, each a double. */
export function derivedFeatureEnvironment(features: readonly string[]): RuleEnvironment {
  // cel-js's default list literals (homogeneous) as derived features have always had.
  const cel = new Environment({ unlistedVariablesAreDyn: false, limits: PARSE_LIMITS });
  for (const f of features) cel.registerVariable(f, 'double');
  return Object.freeze({ name: 'derived_feature', cel, limits: EVENT_LIMITS, variables: new Map(features.map((f) => [f, 'double' as const])) });
}
