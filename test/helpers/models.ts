import type { Engine } from '../../src/engine.js';
import { modelToJson, train } from '../../src/models/gbdt/index.js';

/** Registers a savings propensity model that scores everyone about 0.95 (trained on labels that are almost all 1); returns its id. */
export async function registerSavingsModel(engine: Engine): Promise<string> {
  const n = 200;
  const label = Float64Array.from({ length: n }, (_, i) => (i % 20 === 0 ? 0 : 1));
  const { model } = train({ features: { nRows: n, nFeatures: 1, values: Float64Array.from({ length: n }, (_, i) => i) }, label, featureNames: ['balance_current'] }, { objective: 'binary:logistic', rounds: 30, learningRate: 0.3, maxDepth: 1 });
  const window = { from: '2026-01-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' };
  const card = { title: 't', intendedUse: 'test', outOfScope: 'test', data: { window, rows: n, label: 'l', split: 's' }, features: { count: 1, definitionsHash: engine.features.version, names: ['balance_current'] }, metrics: {}, limitations: [], fairness: 'none' };
  const r = await engine.models.register({ name: 'propensity_savings', kind: 'gbdt', trainingWindow: window, features: ['balance_current'], definitionsHash: engine.features.version, params: {}, metrics: {}, card, artefact: modelToJson(model), createdAt: '2026-03-01T00:00:00.000Z' });
  return r.id;
}
