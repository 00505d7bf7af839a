export { auc, logLoss, rmse, poissonDeviance } from './classification.js';
