export * from './errors.js';
export * from './clock.js';
export * from './random.js';
export * from './money.js';
export * from './events.js';
export * from './customer.js';
export * from './canonical.js';
export * from './validate.js';
