/**
 * The demo's measurement step: an experiment with a holdout and a universal control group
 * run on a fresh twin with the engine deciding (src/simulation/experimentLoop.ts), then the
 * four KPIs with their intervals, the decision-fairness summary and the customer-outcome
 * summary, as the product's own reports compute them.
 */
import { parseCatalogueYaml, DEFAULT_CATALOGUE } from '../index.js';
import { experimentOnTwin } from '../simulation/experimentLoop.js';
import { readFileSync } from 'node:fs';
import { experimentText, fairnessText, outcomesText } from './measureText.js';

export async function measureOnTwin(seed: number, say: (s: string) => void, o: { customers?: number; days?: number } = {}): Promise<void> {
  const t0 = Date.now();
  const customers = o.customers ?? 800;
  const days = o.days ?? 42;
  const catalogue = parseCatalogueYaml(readFileSync(DEFAULT_CATALOGUE, 'utf8'));
  const run = await experimentOnTwin(catalogue, { customers, days, seed });
  say('');
  say(`an experiment with a holdout on the twin (${customers} customers x ${days} days, engine 4 : holdout 1, 5% universal control; ${((Date.now() - t0) / 1000).toFixed(1)} s):`);
  for (const line of experimentText(run.results)) say(`  ${line}`);
  for (const line of fairnessText(run.fairness)) say(`  ${line}`);
  for (const line of outcomesText(run.outcomes)) say(`  ${line}`);
  say('  (the same reports on a live store: nextbest experiments report ID, nextbest fairness decisions, nextbest outcomes; GET /v1/experiments/{id}/results, /v1/fairness, /v1/outcomes)');
}
