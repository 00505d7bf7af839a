/** Customer segmentation: k-means, choice of k, segments in words, peer-group insights. */
export * from './matrix.js';
export * from './kmeans.js';
export * from './miniBatch.js';
export * from './chooseK.js';
export * from './describe.js';
export * from './peers.js';
export * from './segment.js';
