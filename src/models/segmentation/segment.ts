/**
 * Segmentation end to end: standardise the features, cluster (full or mini-batch k-means),
 * bring the centres back to original units and describe each segment in words.
 */
import { fitKMeans, type KMeansResult } from './kmeans.js';
import { fitMiniBatchKMeans } from './miniBatch.js';
import { describeSegments, type FeatureWords, type SegmentDescription } from './describe.js';
import { fitScaler, standardize, unstandardize, type FeatureMatrix, type Scaler } from './matrix.js';

/** Options of a segmentation run. */
export interface SegmentOptions {
  k: number;
  seed: number;
  nInit?: number;
  miniBatch?: boolean;
  batchSize?: number;
  /** Standardise features first (default true); without it, the feature with the biggest numbers decides. */
  standardize?: boolean;
  maxTraits?: number;
}

/** A segmentation: the clustering, centres in both scales, and the words. */
export interface Segmentation {
  scaler: Scaler;
  clustering: KMeansResult;
  /** Centres in original units, k x cols. */
  centres: Float64Array;
  /** Centres as z-scores against the whole base, k x cols. */
  centresZ: Float64Array;
  descriptions: SegmentDescription[];
}

/** Segments customers (rows of `m`, original units) and describes the segments. */
export function segmentCustomers(m: FeatureMatrix, words: readonly FeatureWords[], o: SegmentOptions): Segmentation {
  const scaler = fitScaler(m);
  const scaled = o.standardize === false ? m : standardize(m, scaler);
  const clustering = o.miniBatch
    ? fitMiniBatchKMeans(scaled, { k: o.k, seed: o.seed, batchSize: o.batchSize, nInit: o.nInit })
    : fitKMeans(scaled, { k: o.k, seed: o.seed, nInit: o.nInit });
  const centreMatrix = { data: clustering.centres, rows: o.k, cols: m.cols };
  const centres = o.standardize === false ? clustering.centres : unstandardize(centreMatrix, scaler).data;
  const centresZ = o.standardize === false ? standardize(centreMatrix, scaler).data : clustering.centres;
  return { scaler, clustering, centres, centresZ, descriptions: describeSegments(centres, o.k, scaler, words, { maxTraits: o.maxTraits }) };
}
