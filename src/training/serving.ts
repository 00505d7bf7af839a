/**
 * Champions in service: loads the champion of each model from the registry, hands each
 * family its own, and turns a customer's profile into the scores the profile carries and
 * the numbers decision rules read. Loading is all or nothing per model and a new set
 * replaces the old in one assignment, so a promotion swaps models under live traffic
 * without a restart. Which families exist, and what each serves, is families/index.ts.
 */
import type { StoredEvent } from '../core/events.js';
import type { ModelRecord, ModelRegistry } from '../store/modelRegistry.js';
import { FAMILIES, familyOf, fittedOnGone, type AnyFamily, type FeatureLookup, type ProfileScores, type ScoreInput, type ServedGbdt } from './families/index.js';
import { propensity } from './families/propensity.js';

export type { FeatureLookup, ProfileScores, ServedGbdt };

const LIST = FAMILIES as readonly AnyFamily[];
/** Families that expose rule scores: the only ones a decision asks for. */
const RULE_FAMILIES = LIST.filter((f) => f.ruleScores.length > 0);

/** The champions at one moment; immutable once loaded. */
export class Champions {
  private constructor(
    /** What each family serves, by family key (absent: no champion). */
    private readonly served: ReadonlyMap<string, unknown>,
    /** Why each champion that is not served is not (trained on other feature definitions, or fitted on another family's model that is no longer champion), by model id. */
    readonly skippedBecause: Readonly<Record<string, string>>,
  ) {}

  /** Champions that were not served. */
  get skipped(): string[] {
    return Object.keys(this.skippedBecause);
  }

  /**
   * Loads every champion, skipping feature-reading models trained on other definitions (they
   * would read the wrong columns) and models fitted on another family's model that is not
   * the champion any more (`fittedOn`: the retention mixture on a replaced churn model).
   */
  static async load(registry: ModelRegistry, definitionsHash: string): Promise<Champions> {
    const byFamily = new Map<AnyFamily, ModelRecord[]>();
    const skipped: Record<string, string> = {};
    const champions = await registry.list({ stage: 'champion' });
    const championIds = new Set(champions.map((s) => s.id));
    for (const s of champions) {
      const family = familyOf(s.name);
      if (!family) continue;
      if (family.readsFeatures && s.definitionsHash !== definitionsHash) {
        skipped[s.id] = `trained on feature definitions ${s.definitionsHash}, not the ${definitionsHash} in force`;
        continue;
      }
      const r = (await registry.get(s.id))!;
      const gone = fittedOnGone(r, championIds);
      if (gone.length > 0) {
        skipped[s.id] = `fitted on ${gone.join(', ')}, which is no longer champion: train it again`;
        continue;
      }
      byFamily.set(family, [...(byFamily.get(family) ?? []), r]);
    }
    return new Champions(new Map([...byFamily].map(([f, records]) => [f.key, f.load(records)])), skipped);
  }

  /** The model ids in service. */
  get versions(): string[] {
    return LIST.flatMap((f) => (this.served.has(f.key) ? f.versions(this.served.get(f.key)) : [])).sort();
  }

  /** The propensity GBDT per action family (what decisioning's scorer serves). */
  get propensity(): ReadonlyMap<string, ServedGbdt> {
    return (this.served.get(propensity.key) as ReadonlyMap<string, ServedGbdt> | undefined) ?? new Map();
  }

  /** Whether a served family needs the customer's card payments to score (the lifetime-value model). */
  get clv(): boolean {
    return LIST.some((f) => f.readsCardPayments === true && this.served.has(f.key));
  }

  /**
   * Scores one profile. `cardPayments` (the customer's card_payment events) feed the CLV model; `now` is epoch ms.
   * With `propensities: false` the family propensities are left out (decisions score them per action themselves).
   */
  score(values: FeatureLookup, names: readonly string[], now: number, cardPayments: readonly StoredEvent[] = [], o: { propensities?: boolean } = {}): ProfileScores {
    const known = new Set(names);
    const ruleScores: Record<string, number> = {};
    const input: ScoreInput = { values: (n) => (known.has(n) ? values(n) : Number.NaN), now, cardPayments, propensities: o.propensities !== false, ruleScores };
    const out: Record<string, unknown> = {};
    // In list order, each family's rule scores kept for the families after it that read them.
    for (const f of LIST) {
      const score = f.score(this.served.get(f.key), input);
      out[f.key] = score;
      for (const r of f.ruleScores) {
        const v = r.read(score);
        if (v !== undefined) ruleScores[r.name] = v;
      }
    }
    return out as ProfileScores;
  }

  /**
   * The scores decision rules read (`scores.churn_risk`, `scores.clv`, `scores.segment` …),
   * named by the families that expose them; a family with nothing served for the customer
   * adds nothing. `cardPayments` feed the CLV model (read them only when `clv` is true).
   */
  ruleScores(values: Readonly<Record<string, number | null>>, now: number, cardPayments: readonly StoredEvent[] = []): Record<string, number> {
    return this.ruleScoresOf((n) => values[n] ?? Number.NaN, now, undefined, cardPayments);
  }

  /**
   * As `ruleScores`, from a feature lookup, and only the scores named in `names` when given:
   * a family none of whose scores is named is not scored (the trigger consumer asks for the
   * one or two its triggers read).
   */
  ruleScoresOf(values: FeatureLookup, now: number, names?: ReadonlySet<string>, cardPayments: readonly StoredEvent[] = []): Record<string, number> {
    const all: Record<string, number> = {};
    const input: ScoreInput = { values, now, cardPayments, propensities: false, ruleScores: all };
    // The scores asked for and those their families read (computed first: they come earlier in the list).
    const needed = names && new Set([...names, ...RULE_FAMILIES.flatMap((f) => (f.ruleScores.some((r) => names.has(r.name)) ? (f.readsRuleScores ?? []) : []))]);
    for (const f of RULE_FAMILIES) {
      if (needed && !f.ruleScores.some((r) => needed.has(r.name))) continue;
      const score = f.score(this.served.get(f.key), input);
      for (const r of f.ruleScores) {
        const v = r.read(score);
        if (v !== undefined) all[r.name] = v;
      }
    }
    if (!names) return all;
    const out: Record<string, number> = {};
    for (const [n, v] of Object.entries(all)) if (names.has(n)) out[n] = v;
    return out;
  }
}

/** Every rule score the families expose, with what it means (for catalogue authors and docs). */
export function ruleScoreCatalogue(): { name: string; family: string; description: string }[] {
  return LIST.flatMap((f) => f.ruleScores.map((r) => ({ name: r.name, family: f.key, description: r.description })));
}
