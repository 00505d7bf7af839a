/**
 * Rules: the one CEL module. Named environments (decision, feature, derived_feature,
 * training, trigger), compiled once with the closure fast path, evaluated with one set of
 * failure semantics (evaluate.ts), read analysis (reads.ts), and a cost limit at compile
 * time with a budget at run time (cost.ts). Used by features, decisioning and training.
 */
export { compileRule, readRule, rulePath, ruleReads, type RuleProgram, type RulePath } from './compile.js';
export { evaluatePredicate, evaluateNumber, evaluateValue, passes, onRuleOverBudget, type PredicateOutcome } from './evaluate.js';
export { ruleEnvironment, derivedFeatureEnvironment, type RuleEnvironment, type RuleEnvironmentName, type NamedRuleEnvironment, type RuleLimits } from './environments.js';
export { fieldsRead, type RuleReads } from './reads.js';
export { RuleBudgetExceeded, unsafePattern } from './cost.js';
