export * from './eventLog.js';
export * from './customerStore.js';
export * from './rejectStore.js';
export * from './profileStore.js';
export * from './modelRegistry.js';
export * from './catalogueStore.js';
export * from './experimentStore.js';
