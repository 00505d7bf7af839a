export { auc, logLoss, rmse, poissonDeviance } from './classification.js';
export { fairnessSummary, fourFifthsRule, intersectGroups } from './fairness.js';
