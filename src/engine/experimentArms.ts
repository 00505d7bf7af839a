/**
 * What experiment arms need from the rest of the engine: a scorer for the model versions a
 * `model` arm names (loaded from the registry once per set), and the checks that refuse an
 * arm naming a catalogue version or model that does not exist, before it is stored.
 */
import { NextbestError, type FieldIssue } from '../core/errors.js';
import { GbdtScorer, type PropensityScorer } from '../decisioning/index.js';
import type { Experiment } from '../experiments/index.js';
import { loadModel } from '../models/gbdt/index.js';
import type { CatalogueStore } from '../store/catalogueStore.js';
import type { ModelRegistry } from '../store/modelRegistry.js';
import { propensityModelName } from '../training/families/propensity.js';

/** Scorers for arms' model sets, by the set (a handful per experiment; artefacts are loaded once). */
export function armModels(registry: ModelRegistry): (byFamily: Readonly<Record<string, string>>) => Promise<PropensityScorer> {
  const cache = new Map<string, Promise<PropensityScorer>>();
  return (byFamily) => {
    const key = JSON.stringify(Object.entries(byFamily).sort());
    let s = cache.get(key);
    if (!s) {
      s = (async () => {
        const families: Record<string, { version: string; model: ReturnType<typeof loadModel> }> = {};
        for (const [family, id] of Object.entries(byFamily)) {
          const r = await registry.get(id);
          if (!r) throw new NextbestError('NOT_FOUND', `model ${id} (an experiment arm's) is not in the registry`);
          families[family] = { version: r.id, model: loadModel(r.artefact) };
        }
        return new GbdtScorer({ families });
      })();
      s.catch(() => cache.delete(key));
      cache.set(key, s);
    }
    return s;
  };
}

/** Issues with an experiment's arms: a catalogue version not stored, a model not registered or not the family's propensity model. */
export async function armIssues(e: Experiment, stores: { catalogues?: CatalogueStore | undefined; registry: ModelRegistry }, prefix = ''): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  const at = (f: string) => (prefix ? `${prefix}.${f}` : f);
  for (const [i, arm] of e.arms.entries()) {
    if (arm.kind === 'catalogue' && stores.catalogues && !(await stores.catalogues.get(arm.catalogueVersion))) {
      issues.push({ field: at(`arms.${i}.catalogueVersion`), rule: 'known_version', message: `no stored catalogue version ${arm.catalogueVersion}` });
    }
    if (arm.kind === 'model') {
      for (const [family, id] of Object.entries(arm.models)) {
        const r = await stores.registry.get(id);
        if (!r) issues.push({ field: at(`arms.${i}.models.${family}`), rule: 'known_model', message: `no model ${id} in the registry` });
        else if (r.name !== propensityModelName(family) || r.kind !== 'gbdt') issues.push({ field: at(`arms.${i}.models.${family}`), rule: 'family_model', message: `${id} is a ${r.kind} model named ${r.name}, not the ${family} propensity model (${propensityModelName(family)})` });
      }
    }
  }
  return issues;
}
