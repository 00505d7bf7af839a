/**
 * Propensity: how likely the customer is to take an action up. The PropensityScorer port
 * is what the model lifecycle plugs champions into; until a model covers an action, the
 * action's prior is used. GbdtScorer serves our gradient-boosted models with TreeSHAP.
 */
import { rowScorer, treeExplainer, type Explainer, type GbdtModel } from '../models/gbdt/index.js';
import type { ActionVars } from './compile.js';

/** A profile as a decision sees it: feature name to value (null = none). */
export type FeatureValues = Readonly<Record<string, number | null>>;

/** One feature's push on the propensity (log-odds for classifiers). */
export interface Contribution {
  feature: string;
  value: number | null;
  contribution: number;
}

export interface PropensityScore {
  propensity: number;
  modelVersion: string;
}

/** The port: scores for one action from a customer's features; undefined when no model covers it. */
export interface PropensityScorer {
  score(action: ActionVars, features: FeatureRows): PropensityScore | undefined;
  /** The top contributions to the action's score, largest magnitude first. */
  explain(action: ActionVars, features: FeatureRows, top: number): Contribution[];
  /** The model version that would score the action, if any (for replay checks). */
  versionFor(action: ActionVars): string | undefined;
}

/** No models: every action runs on its prior. */
export const priorOnly: PropensityScorer = {
  score: () => undefined,
  explain: () => [],
  versionFor: () => undefined,
};

/**
 * Feature vectors built once per decision and per feature order: many actions usually
 * share a model's feature list, so each row is filled once.
 */
export class FeatureRows {
  private readonly cache = new Map<readonly string[], Float64Array>();
  /** Scores already computed in this decision, by served model: actions sharing a model score once. */
  readonly scores = new Map<object, PropensityScore>();
  constructor(readonly values: FeatureValues) {}

  /** The values in `names` order; missing features are NaN (the trees' default direction). */
  row(names: readonly string[]): Float64Array {
    let r = this.cache.get(names);
    if (!r) {
      r = new Float64Array(names.length);
      for (let i = 0; i < names.length; i++) {
        const v = this.values[names[i]!];
        r[i] = v === null || v === undefined ? Number.NaN : v;
      }
      this.cache.set(names, r);
    }
    return r;
  }
}

/** A propensity model for one action or a whole family. */
export interface PropensityModel {
  /** Registry id and version, e.g. `cc_rewards@3`. */
  version: string;
  model: GbdtModel;
}

interface Served {
  version: string;
  names: readonly string[];
  score: (x: ArrayLike<number>) => number;
  explainer: () => Explainer;
}

/** Serves GBDT models: by action id first, then by family. */
export class GbdtScorer implements PropensityScorer {
  private readonly byAction = new Map<string, Served>();
  private readonly byFamily = new Map<string, Served>();

  constructor(models: { actions?: Record<string, PropensityModel>; families?: Record<string, PropensityModel> }) {
    // One served copy per model object: actions that share a model share its flat arrays and its score.
    const served = new Map<GbdtModel, Map<string, Served>>();
    // Models reading the same features in the same order share one feature list, so a
    // decision fills each distinct row once however many models read it.
    const lists = new Map<string, readonly string[]>();
    const once = (m: PropensityModel) => {
      let byVersion = served.get(m.model);
      if (!byVersion) served.set(m.model, (byVersion = new Map()));
      let s = byVersion.get(m.version);
      if (!s) {
        s = serve(m);
        const key = JSON.stringify(s.names);
        const shared = lists.get(key);
        if (shared) s.names = shared;
        else lists.set(key, s.names);
        byVersion.set(m.version, s);
      }
      return s;
    };
    for (const [id, m] of Object.entries(models.actions ?? {})) this.byAction.set(id, once(m));
    for (const [family, m] of Object.entries(models.families ?? {})) this.byFamily.set(family, once(m));
  }

  private served(action: ActionVars): Served | undefined {
    return this.byAction.get(action.id) ?? this.byFamily.get(action.family);
  }

  score(action: ActionVars, features: FeatureRows): PropensityScore | undefined {
    const s = this.served(action);
    if (!s) return undefined;
    let p = features.scores.get(s);
    if (p === undefined) features.scores.set(s, (p = { propensity: s.score(features.row(s.names)), modelVersion: s.version }));
    return p;
  }

  explain(action: ActionVars, features: FeatureRows, top: number): Contribution[] {
    const s = this.served(action);
    if (!s) return [];
    const row = features.row(s.names);
    const phi = s.explainer().contributions(row);
    // The `top` largest magnitudes, ties to the lower index: the order a full sort gives, without sorting every feature.
    const order: number[] = [];
    for (let k = 0; k < s.names.length; k++) {
      const m = Math.abs(phi[k]!);
      if (order.length === top && !(m > Math.abs(phi[order[top - 1]!]!))) continue;
      let at = order.length === top ? top - 1 : order.length;
      while (at > 0 && m > Math.abs(phi[order[at - 1]!]!)) {
        order[at] = order[at - 1]!;
        at--;
      }
      order[at] = k;
      if (order.length > top) order.length = top;
    }
    return order.map((k) => ({ feature: s.names[k]!, value: Number.isNaN(row[k]!) ? null : row[k]!, contribution: phi[k]! }));
  }

  /**
   * Builds every served model's TreeSHAP tables now (they are otherwise built by the first
   * explanation each model gives: 35-130 ms for 200 trees, inside a request). Returns one
   * function per model: call them one at a time, e.g. each in its own setImmediate, so no
   * single turn of the event loop builds them all.
   */
  explainerBuilds(): (() => void)[] {
    const all = new Set([...this.byAction.values(), ...this.byFamily.values()]);
    return [...all].map((s) => () => void s.explainer());
  }

  versionFor(action: ActionVars): string | undefined {
    return this.served(action)?.version;
  }
}

function serve(m: PropensityModel): Served {
  const scorer = rowScorer(m.model);
  let explainer: Explainer | undefined;
  return {
    version: m.version,
    names: m.model.featureNames,
    score: scorer.score,
    // TreeSHAP tables are built on first use: most served models never explain a winner.
    // They agree with the recursion to ~1e-14 relative, not bit for bit: replay compares
    // contributions within 1e-9, so decisions logged with either replay as identical.
    explainer: () => (explainer ??= treeExplainer(m.model)),
  };
}
