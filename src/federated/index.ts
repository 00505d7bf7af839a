/** Federated GBDT across banks that keep their rows (docs/federated.md). */
export { trainFederated, federatedParams, type FederatedOptions, type FederatedResult, type ParticipantLink, type ParticipantReport } from './coordinator.js';
export { Participant, type LocalData, type RegisterModel } from './participant.js';
export { serveParticipant, httpLink, dispatch, type ParticipantServer, type LinkOptions, type ServeOptions } from './transport.js';
export { registerInBank, type BankRegistration } from './register.js';
export { propensityData, takeUpsByFamily } from './bankData.js';
export { csvData } from './csvData.js';
export { ParticipantConfig, CoordinatorConfig, loadYamlConfig, fromConfig, tokenOf } from './config.js';
export { epsilonOf, calibrateNoise, plannedReleases, type PrivacyReport } from './privacy.js';
export { newIdentity, type Identity } from './masks.js';
