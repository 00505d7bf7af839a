/**
 * Compiles a catalogue once: every CEL rule is parsed, shared rules are resolved onto the
 * actions they apply to, and rules that do not read `action` are marked so a decision
 * evaluates them once rather than once per action.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical.js';
import { ValidationError, type FieldIssue } from '../core/errors.js';
import { compileRule, fieldsRead, ruleReads, type RuleProgram } from '../rules/index.js';
import { CREDIT_FAMILIES, type Action, type Catalogue, type PolicyKind, type PolicyRule } from './catalogue.js';
import type { Exclusion } from './exclusion.js';
import { POLICIES } from './policies/index.js';
import { MS_PER_DAY as DAY_MS } from '../core/clock.js';

export interface CompiledRule {
  /** Shared rule name, or `<actionId>#<n>` for an action's own rule. */
  name: string;
  kind: PolicyKind;
  program: RuleProgram;
  /** False when the rule does not read `action`: its result is shared by all actions in a decision. */
  perAction: boolean;
  /** Slot in the per-decision memo of shared results (-1 for per-action rules). */
  memo: number;
  reason: string;
  because: string | undefined;
  expression: string;
  /** The trace entry when this rule excludes an action (shared, frozen: decisions only read it). */
  exclusion: Readonly<Exclusion>;
}

/** What a rule sees as `action`. */
export interface ActionVars {
  id: string;
  family: string;
  purpose: string;
  productRisk: number;
  value: number;
  credit: boolean;
  targetedSupport: boolean;
}

export interface CompiledAction {
  action: Action;
  index: number;
  vars: ActionVars;
  /** The catalogue's rules in the order their kinds run (policies/index.ts). */
  rules: CompiledRule[];
  contextWeight: RuleProgram | undefined;
  validFromMs: number;
  validToMs: number;
  /** What each built-in policy worked out for this action, by its place in POLICIES. */
  prepared: unknown[];
  /** The places in POLICIES of the policies that screen this action (a policy with nothing to check for it is left out). */
  screens: number[];
}

export interface CompiledCatalogue {
  catalogue: Catalogue;
  /** sha256 of the canonical catalogue: logged with each decision, the key for replay. */
  version: string;
  signals: { name: string; program: RuleProgram }[];
  actions: CompiledAction[];
  byId: Map<string, CompiledAction>;
  /** Number of memo slots for rules shared across actions. */
  sharedSlots: number;
  /** Every `profile.x`, `scores.x` and `context.x` the rules read: absent ones are filled (NaN / "") so rules never throw on them. */
  reads: { profile: string[]; scores: string[]; context: string[]; wholeProfile: boolean };
  /** The arbitration's CEL numbers, read once per decision: the customer's lifetime value and churn risk. */
  arbitration: { clv: RuleProgram | undefined; churnRisk: RuleProgram | undefined; leavingGivenTakeUp: RuleProgram | undefined; unseenHarm: RuleProgram | undefined };
  /** How far back a decision needs the contact history: the longest cap or cool-down, at least a day. */
  historyDays: number;
}

const KIND_ORDER: Record<PolicyKind, number> = Object.fromEntries(POLICIES.map((p, i) => [p.kind, i])) as Record<PolicyKind, number>;

/** Compiles a checked catalogue; throws VALIDATION_FAILED naming every rule that does not compile. */
export function compileCatalogue(catalogue: Catalogue): CompiledCatalogue {
  const issues: FieldIssue[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ValidationError) issues.push(...e.issues);
      else throw e;
      return undefined;
    }
  };
  let slots = 0;
  const shared = new Map<string, CompiledRule>();
  for (const [name, rule] of Object.entries(catalogue.policies)) {
    const program = attempt(() => compileRule(rule.when, 'decision', `policies.${name}.when`));
    if (!program) continue;
    const perAction = readsAction(program);
    shared.set(name, { name, kind: rule.kind, program, perAction, memo: perAction ? -1 : slots++, reason: rule.reason, because: rule.because, expression: rule.when, exclusion: Object.freeze({ kind: rule.kind, rule: name, reason: rule.reason }) });
  }
  const signals = Object.entries(catalogue.signals).flatMap(([name, expr]) => {
    const program = attempt(() => compileRule(expr, 'decision', `signals.${name}`));
    return program ? [{ name, program }] : [];
  });
  const actions: CompiledAction[] = catalogue.actions.map((action, index) => {
    const rules: CompiledRule[] = [];
    const named = new Set<string>();
    action.policies.forEach((p, j) => {
      if (typeof p === 'string') {
        const r = shared.get(p);
        if (r && !named.has(p)) rules.push(r);
        named.add(p);
        if (!(p in catalogue.policies)) issues.push({ field: `actions.${index}.policies.${j}`, rule: 'unknown_policy', message: `no shared policy named ${p}` });
        return;
      }
      const program = attempt(() => compileRule(p.when, 'decision', `actions.${index}.policies.${j}.when`));
      if (program) rules.push(ownRule(action, j, p, program));
    });
    for (const [name, rule] of Object.entries(catalogue.policies)) {
      const r = shared.get(name);
      if (!r || named.has(name) || !rule.appliesTo) continue;
      const byFamily = rule.appliesTo.families?.includes(action.family) ?? false;
      const byAction = rule.appliesTo.actions?.includes(action.id) ?? false;
      if (byFamily || byAction) rules.push(r);
    }
    rules.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
    const contextWeight = action.contextWeight ? attempt(() => compileRule(action.contextWeight!, 'decision', `actions.${index}.contextWeight`)) : undefined;
    return {
      action,
      index,
      vars: {
        id: action.id,
        family: action.family,
        purpose: action.purpose,
        productRisk: action.productRisk,
        value: action.value.amountGbp,
        credit: CREDIT_FAMILIES.has(action.family),
        targetedSupport: action.targetedSupport,
      },
      rules,
      contextWeight,
      validFromMs: action.validFrom ? Date.parse(`${action.validFrom}T00:00:00Z`) : Number.NEGATIVE_INFINITY,
      validToMs: action.validTo ? Date.parse(`${action.validTo}T00:00:00Z`) + DAY_MS : Number.POSITIVE_INFINITY,
      prepared: [],
      screens: [],
    };
  });
  for (const a of actions) {
    a.prepared = POLICIES.map((p) => p.prepare?.(a));
    a.screens = POLICIES.flatMap((p, k) => (p.screen && (!p.prepare || a.prepared[k] !== undefined) ? [k] : []));
  }
  const arb = catalogue.arbitration;
  const clv = arb.clv ? attempt(() => compileRule(arb.clv!, 'decision', 'arbitration.clv')) : undefined;
  const churnRisk = arb.churnRisk ? attempt(() => compileRule(arb.churnRisk!, 'decision', 'arbitration.churnRisk')) : undefined;
  const leavingGivenTakeUp = arb.leavingGivenTakeUp ? attempt(() => compileRule(arb.leavingGivenTakeUp!, 'decision', 'arbitration.leavingGivenTakeUp')) : undefined;
  const unseenHarm = arb.harm.unseen ? attempt(() => compileRule(arb.harm.unseen!, 'decision', 'arbitration.harm.unseen')) : undefined;
  if (issues.length > 0) throw new ValidationError(issues, `catalogue rules do not compile: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
  return {
    catalogue,
    version: catalogueVersion(catalogue),
    signals,
    actions,
    byId: new Map(actions.map((a) => [a.action.id, a])),
    sharedSlots: slots,
    arbitration: { clv, churnRisk, leavingGivenTakeUp, unseenHarm },
    reads: collectReads([...shared.values()].map((r) => r.program), signals.map((s) => s.program), actions.flatMap((a) => [...a.rules.map((r) => r.program), ...(a.contextWeight ? [a.contextWeight] : [])]), [clv, churnRisk, leavingGivenTakeUp, unseenHarm].filter((p) => p !== undefined)),
    historyDays: Math.max(1, catalogue.arbitration.fatigueWindowDays, catalogue.contactPolicy.declineCooldownDays, ...catalogue.contactPolicy.caps.map((c) => c.periodDays), ...actions.map((a) => a.action.declineCooldownDays ?? 0)),
  };
}

function ownRule(action: Action, j: number, p: PolicyRule, program: RuleProgram): CompiledRule {
  const name = `${action.id}#${j}`;
  return { name, kind: p.kind, program, perAction: true, memo: -1, reason: p.reason, because: p.because, expression: p.when, exclusion: Object.freeze({ kind: p.kind, rule: name, reason: p.reason }) };
}

/** The content hash of a catalogue (first 16 hex digits of sha256 over canonical JSON). */
export function catalogueVersion(catalogue: Catalogue): string {
  return createHash('sha256').update(canonicalJson(catalogue)).digest('hex').slice(0, 16);
}

/** Whether a rule reads the `action` variable (else it is evaluated once per decision). */
function readsAction(program: RuleProgram): boolean {
  return ruleReads(program)!.variables.has('action');
}

function collectReads(...groups: RuleProgram[][]): CompiledCatalogue['reads'] {
  const reads = groups.flat().map((p) => ruleReads(p)!);
  const names = (root: string) => [...new Set(reads.flatMap((r) => fieldsRead(r, root)))].sort();
  // `profile["x"]` or a macro over the whole map reads keys no analysis can list: then a rule sees every feature.
  return { profile: names('profile'), scores: names('scores'), context: names('context'), wholeProfile: reads.some((r) => r.whole.has('profile')) };
}
