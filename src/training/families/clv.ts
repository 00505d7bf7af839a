/**
 * Customer lifetime value: BG/NBD for repeat card-spending weeks and P(alive), Gamma-Gamma
 * for spend per week, discounted over 12 months and turned into the bank's margin.
 *
 * Transform: `spendSummary` — a customer's card payments as frequency, recency, age (T) and
 * mean spend in weekly periods (models/clv summarizeTransactions) — at training over every
 * customer's payments in the window, at serving over one customer's payments up to now.
 * Drift: no label (the model predicts a future that is not observed yet); none kept.
 */
import { buildModelCard } from '../card.js';
import type { StoredEvent } from '../../core/events.js';
import { fitBgNbd } from '../../models/clv/bgnbd.js';
import { fitGammaGamma } from '../../models/clv/gammaGamma.js';
import { predictCustomerValue } from '../../models/clv/lifetimeValue.js';
import { summarizeTransactions, type CustomerSummary } from '../../models/clv/summary.js';
import { iso, sourceOf, type SkippedModel, type TrainContext, type TrainedModel } from '../context.js';
import { DAY_MS } from '../labels.js';
import { defineFamily, round6 } from './family.js';

import type { SpendRows } from '../source.js';

const addPayment = (rows: SpendRows, e: StoredEvent) => {
  rows.customerId.push(e.event.customerId);
  rows.day.push(Math.floor(e.t / DAY_MS));
  rows.value.push(Math.abs((e.event as { payload: { amount: { minor: number } } }).payload.amount.minor) / 100);
};

/** The transform shared by training and serving: card payments up to `endDay` as an RFM summary per customer. */
export function spendSummary(payments: Iterable<StoredEvent>, endDay: number, periodDays: number): CustomerSummary {
  const rows: SpendRows = { customerId: [], day: [], value: [] };
  for (const e of payments) if (Math.floor(e.t / DAY_MS) <= endDay) addPayment(rows, e);
  return summarizeTransactions(rows, endDay, periodDays);
}

/** The CLV artefact: fitted parameters; the per-customer RFM summary is rebuilt from the log when scoring. */
export interface ClvArtefact {
  format: 'nextbest-clv';
  formatVersion: 1;
  periodDays: number;
  bgnbd: { r: number; alpha: number; a: number; b: number };
  gammaGamma: { p: number; q: number; gamma: number } | null;
  /** Horizon in periods and discount per period used for the value. */
  periods: number;
  discountRate: number;
  /** Share of card spend the bank keeps as margin (interchange), to turn spend into value. */
  marginShare: number;
}

/** BG/NBD + Gamma-Gamma on card-spending weeks. */
export async function trainClv(ctx: TrainContext): Promise<TrainedModel | SkippedModel> {
  const payments = await sourceOf(ctx).cardPayments(ctx.window.from, ctx.window.to);
  if (payments.customerId.length === 0) return { name: 'clv', reason: 'no card payments in the window' };
  const endDay = Math.floor((ctx.window.to - 1) / DAY_MS);
  const periodDays = 7;
  // Every payment of the window is on or before endDay: the rows are the summary's input as they are.
  const s = summarizeTransactions(payments, endDay, periodDays);
  ctx.progress?.('clv', 0, 1);
  const bg = fitBgNbd(s);
  const rep = Array.from(s.frequency, (f, i) => (f > 0 && s.monetary[i]! > 0 ? i : -1)).filter((i) => i >= 0);
  const gg = rep.length >= 20 ? fitGammaGamma(Float64Array.from(rep, (i) => s.frequency[i]!), Float64Array.from(rep, (i) => s.monetary[i]!)) : null;
  ctx.progress?.('clv', 1, 1);
  const artefact: ClvArtefact = { format: 'nextbest-clv', formatVersion: 1, periodDays, bgnbd: bg.params, gammaGamma: gg?.params ?? null, periods: 12, discountRate: 0.01, marginShare: 0.01 };
  const values = predictCustomerValue(bg.params, gg?.params, s, { periods: 12, periodLength: 30.4375 / periodDays, discountRate: 0.01 });
  const alive = values.map((v) => v.probabilityAlive);
  const meanAlive = alive.reduce((a, b) => a + b, 0) / alive.length;
  const window = { from: iso(ctx.window.from), to: iso(ctx.window.to) };
  const metrics = { customers: s.customerId.length, logLikelihood: Number(bg.logLikelihood.toPrecision(8)), converged: bg.converged, meanProbabilityAlive: Number(meanAlive.toPrecision(6)), bgnbd: bg.params, gammaGamma: gg?.params ?? null };
  const rec = await ctx.registry.register({
    name: 'clv',
    kind: 'bgnbd_gamma_gamma',
    trainingWindow: window,
    features: ['card_payment frequency, recency, T (weeks)', 'mean spend per repeat week'],
    definitionsHash: ctx.features.version,
    params: { periodDays, periods: 12, discountRate: 0.01, marginShare: 0.01 },
    metrics,
    card: buildModelCard({
      title: 'Customer lifetime value (BG/NBD + Gamma-Gamma)',
      intendedUse: 'P(alive) and the expected value of card spending over the next 12 months, discounted at 1% a month; shown in the profile and used to weigh retention effort.',
      outOfScope: 'Not the full relationship value: deposit and lending margins are not in it.',
      window,
      rows: payments.customerId.length,
      label: 'none (probabilistic model of repeat card-spending weeks)',
      split: 'none: fitted on the whole window (the model has 4 + 3 parameters)',
      definitionsHash: ctx.features.version,
      features: ['frequency', 'recency', 'T', 'monetary'],
      metrics: { meanProbabilityAlive: metrics.meanProbabilityAlive, customers: metrics.customers },
      limitations: ['Assumes purchases follow a Poisson process while alive and a customer may drop out after any purchase week.', 'Card spend only: margin share is a configured constant.'],
    }),
    artefact,
    driftReference: null,
    createdAt: ctx.createdAt,
  });
  return { id: rec.id, name: 'clv', kind: 'bgnbd_gamma_gamma', metrics };
}


/** The profile's lifetime value. */
export type ClvScore = { value: number; probabilityAlive: number; expectedPurchaseDays: number; currency: 'GBP'; horizonMonths: number; model: string } | null;

/** A customer's value from their card payments up to `now`. */
function customerValue(id: string, a: ClvArtefact, payments: readonly StoredEvent[], now: number): NonNullable<ClvScore> {
  const base = { currency: 'GBP' as const, horizonMonths: a.periods, model: id };
  const endDay = Math.floor(now / DAY_MS);
  const s = spendSummary(payments, endDay, a.periodDays);
  if (s.customerId.length === 0) return { value: 0, probabilityAlive: 0, expectedPurchaseDays: 0, ...base };
  if (!(s.T[0]! > 0)) return { value: 0, probabilityAlive: 1, expectedPurchaseDays: 0, ...base };
  const v = predictCustomerValue(a.bgnbd, a.gammaGamma ?? undefined, s, { periods: a.periods, periodLength: 30.4375 / a.periodDays, discountRate: a.discountRate })[0]!;
  const value = Number.isFinite(v.lifetimeValue) ? v.lifetimeValue * a.marginShare : 0;
  return { value: Math.round(value * 100) / 100, probabilityAlive: round6(v.probabilityAlive), expectedPurchaseDays: round6(v.expectedPurchases), ...base };
}

export const clv = defineFamily<'clv', { id: string; artefact: ClvArtefact }, ClvScore>({
  key: 'clv',
  job: 'clv',
  summary: 'P(alive) and the discounted margin on card spending over the next 12 months (BG/NBD + Gamma-Gamma).',
  transform: 'spendSummary: card payments as weekly frequency, recency, T and mean spend',
  readsFeatures: false,
  readsCardPayments: true,
  owns: (name) => name === 'clv',
  train: async (ctx) => [await trainClv(ctx)],
  load: (records) => ({ id: records[0]!.id, artefact: records[0]!.artefact as ClvArtefact }),
  versions: (s) => [s.id],
  score: (served, input) => (served ? customerValue(served.id, served.artefact, input.cardPayments, input.now) : null),
  driftLabel: () => undefined,
  driftNote: 'the outcome (future spending) is not observed when the model is checked; no reference is kept',
  // Decisions read it for retention's value (the bank catalogue's `arbitration.clv`); the
  // engine reads the customer's card payments for it only while a CLV champion is served.
  ruleScores: [{ name: 'clv', description: 'Discounted margin on card spending over the next 12 months (GBP)', read: (s) => s?.value }],
  promotion: () => 'judged_by_card',
});
