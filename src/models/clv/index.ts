/** Customer lifetime value: BG/NBD purchases, Gamma-Gamma spend, their discounted product; BG/BB for discrete opportunities. */
export * from './rfm.js';
export * from './summary.js';
export * from './bgnbd.js';
export * from './gammaGamma.js';
export * from './lifetimeValue.js';
export { hyp2f1 } from './hypergeometric.js';
export * from './bgbb.js';
