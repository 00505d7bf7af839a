/**
 * Prepayment: the probability that a borrower settles a loan or mortgage early within 90
 * days (GBDT), from the PREPAYMENT label (loan_repayment kind early_settlement; at risk:
 * customers with a scheduled repayment in the 45 days before each weekly snapshot).
 * Served in the profile and to rules as `scores.prepayment_risk`.
 *
 * Transform: the profile features by name (gbdtRow), as read point-in-time at training.
 * Drift: the prepayment label's rows.
 */
import { trainBinaryModel } from '../binary.js';
import { type SkippedModel, type TrainContext, type TrainedModel, sourceOf } from '../context.js';
import { buildDatasetFrom } from '../dataset.js';
import { PREPAYMENT } from '../definitions.js';

import { defineFamily, round6 } from './family.js';
import { gbdtProbability, servedGbdt, type ServedGbdt } from './gbdt.js';

const NAME = 'prepayment_90d';

/** Early settlement of a loan or mortgage within 90 days (GBDT). */
export async function trainPrepayment(ctx: TrainContext): Promise<(TrainedModel | SkippedModel)[]> {
  ctx.progress?.('prepayment labels', 0, undefined);
  const data = sourceOf(ctx);
  const rows = await data.labelRows(PREPAYMENT, ctx.window);
  const ds = await buildDatasetFrom(data, ctx.features, rows, (done) => ctx.progress?.('prepayment features', done, undefined));
  const binary = rows.flatMap((r, i) => (Number.isNaN(r.label) ? [] : [i]));
  return [
    await trainBinaryModel(
      ctx,
      {
        name: NAME,
        title: 'Early settlement of a loan or mortgage within 90 days',
        intendedUse: 'The probability that a borrower settles a loan or mortgage early within 90 days: for balance-sheet planning and for timely refinancing conversations.',
        outOfScope: 'Not a credit decision; not for penalising customers who may repay early.',
        label: PREPAYMENT.description,
        limitations: ['Early settlement is rare: the test slice holds few positives and the metrics are noisy.', 'Rate moves drive prepayment; a window without rate changes teaches little about them.'],
        purgeDays: PREPAYMENT.everyDays,
        minPositives: 5,
      },
      ds,
      binary,
    ),
  ];
}

/** The profile's prepayment score. */
export type PrepaymentScore = { probability: number; horizonDays: number; model: string } | null;

export const prepayment = defineFamily<'prepayment', ServedGbdt, PrepaymentScore>({
  key: 'prepayment',
  job: 'prepayment',
  summary: 'Probability that a borrower settles a loan or mortgage early within 90 days (GBDT).',
  transform: 'the profile features by name, missing as NaN (gbdtRow)',
  readsFeatures: true,
  owns: (name) => name === NAME,
  train: (ctx) => trainPrepayment(ctx),
  load: (records) => servedGbdt(records[0]!),
  versions: (m) => [m.version],
  score: (m, input) => (m ? { probability: round6(gbdtProbability(m, input.values)), horizonDays: 90, model: m.version } : null),
  driftLabel: (name) => (name === NAME ? { def: PREPAYMENT } : undefined),
  ruleScores: [{ name: 'prepayment_risk', description: 'Probability of settling a loan or mortgage early within 90 days (0..1)', read: (s) => s?.probability }],
  promotion: () => 'binary_auc',
});
