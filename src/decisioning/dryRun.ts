/**
 * The dry run before a catalogue is published: what the catalogue in force and a candidate
 * would each decide for the same customers now. Nothing is logged, no contact is counted,
 * the candidate is not stored.
 */
import { MS_PER_DAY } from '../core/clock.js';
import { buildRecord, frozenLevers } from './buildRecord.js';
import type { CompiledCatalogue } from './compile.js';
import { evaluate, select, type Evaluation } from './decide.js';
import type { PropensityScorer } from './scoring.js';
import type { DecisionInputs, Explanation } from './trace.js';

/** What one catalogue decides for one customer in a dry run. */
export interface DryRunOutcome {
  catalogueVersion: string;
  chosen: string[];
  excluded: Explanation['excluded'];
  sentence?: string;
}

/** The catalogue in force and a candidate, side by side, per customer. */
export interface DryRun {
  currentVersion: string;
  candidateVersion: string;
  customers: { customerId: string; channel: string; current: DryRunOutcome; candidate: DryRunOutcome; changed: boolean }[];
}

/** Where a dry run reads what a decision would read (the decisioning component's own sources). */
export interface DryRunSources<R> {
  now: number;
  scorer: PropensityScorer;
  /** A request's inputs but the contact history. */
  inputs(request: R): Promise<Omit<DecisionInputs, 'history'>>;
  history(customerId: string, since: number): Promise<DecisionInputs['history']>;
  /** The capacity keys already full for the ranked actions. */
  full(cat: CompiledCatalogue, ev: Evaluation, channel: string): Promise<Set<string>>;
}

/** Both catalogues' decisions for each (checked) request, without SHAP: the console shows choices and exclusions. */
export async function dryRunCatalogues<R extends { customerId: string; channel: string; n: number }>(current: CompiledCatalogue, proposed: CompiledCatalogue, requests: readonly R[], src: DryRunSources<R>): Promise<DryRun> {
  const now = src.now;
  const customers = [];
  for (const req of requests) {
    const base = await src.inputs(req);
    const outcome = async (cat: CompiledCatalogue): Promise<DryRunOutcome> => {
      const inputs: DecisionInputs = { ...base, history: await src.history(req.customerId, now - cat.historyDays * MS_PER_DAY) };
      const levers = frozenLevers(cat.catalogue.levers);
      const ev = evaluate(cat, inputs, { now, channel: req.channel, levers, scorer: src.scorer });
      const full = await src.full(cat, ev, req.channel);
      const sel = select(cat, ev, inputs, { now, channel: req.channel, n: req.n, full });
      const r = buildRecord(cat, ev, inputs, sel.chosen, { decisionId: 'dry-run', channel: req.channel, n: req.n, now, levers, full, scorer: src.scorer, shap: false, selectN: req.n });
      return { catalogueVersion: cat.version, chosen: r.chosen.map((c) => c.actionId), excluded: r.explanation.excluded, ...(r.explanation.winner && { sentence: r.explanation.winner.customerSentence }) };
    };
    const [before, after] = [await outcome(current), await outcome(proposed)];
    customers.push({ customerId: req.customerId, channel: req.channel, current: before, candidate: after, changed: before.chosen.join() !== after.chosen.join() });
  }
  return { currentVersion: current.version, candidateVersion: proposed.version, customers };
}
