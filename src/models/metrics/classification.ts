/**
 * Generic model metrics over plain arrays: ROC AUC (ties get half credit, as the
 * Mann-Whitney statistic and scikit-learn do), log loss (probabilities clipped to
 * [1e-15, 1 - 1e-15] as scikit-learn does), RMSE and Poisson deviance.
 */
import { ValidationError } from '../../core/errors.js';

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) {
    throw new ValidationError([{ field: what, rule: 'length', message: `${a.length} predictions but ${b.length} labels` }]);
  }
}

/** Area under the ROC curve of scores against 0/1 labels; NaN when one class is absent. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  sameLength(scores, labels, 'auc');
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1; // average 1-based rank of the tie group
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        rankSumPos += midRank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Mean binary log loss of probabilities against 0/1 labels. */
export function logLoss(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  sameLength(probs, labels, 'logLoss');
  const eps = 1e-15;
  let s = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(Math.max(probs[i]!, eps), 1 - eps);
    s -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return s / probs.length;
}

/** Root mean squared error. */
export function rmse(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  sameLength(predictions, targets, 'rmse');
  let s = 0;
  for (let i = 0; i < predictions.length; i++) {
    const d = predictions[i]! - targets[i]!;
    s += d * d;
  }
  return Math.sqrt(s / predictions.length);
}

/** Mean Poisson deviance of predicted means against counts. */
export function poissonDeviance(means: ArrayLike<number>, counts: ArrayLike<number>): number {
  sameLength(means, counts, 'poissonDeviance');
  let s = 0;
  for (let i = 0; i < means.length; i++) {
    const y = counts[i]!;
    const mu = Math.max(means[i]!, 1e-15);
    s += 2 * ((y > 0 ? y * Math.log(y / mu) : 0) - (y - mu));
  }
  return s / means.length;
}
