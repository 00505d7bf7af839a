import { describe, expect, it } from 'vitest';
import { binMatrix, computeCuts } from '../../../src/models/gbdt/dataset.js';
import { buildHistogram, buildSparseHistogram } from '../../../src/models/gbdt/histogram.js';
import { mulberry32 } from '../../../src/core/random.js';

describe('histograms', () => {
  it('the sparse (frequent-bin recovered) histogram equals the dense one on one-hot-like data', () => {
    const rng = mulberry32(4);
    const nRows = 500;
    const nFeatures = 9;
    const values = new Float64Array(nRows * nFeatures);
    for (let i = 0; i < values.length; i++) {
      const u = rng.next();
      values[i] = i % nFeatures === 0 ? u * 100 : u < 0.8 ? 0 : u < 0.95 ? 1 : NaN;
    }
    const m = { nRows, nFeatures, values };
    const d = binMatrix(m, computeCuts(m, 32, 200_000, 1));
    expect(d.sparse).not.toBeNull();
    const gh = Float64Array.from({ length: 2 * nRows }, (_, i) => (i % 2 ? 0.1 + rng.next() : rng.next() - 0.5));
    const rows = Uint32Array.from({ length: nRows }, (_, i) => i).filter((i) => i % 3 !== 1);
    let g = 0;
    let h = 0;
    for (const r of rows) {
      g += gh[2 * r]!;
      h += gh[2 * r + 1]!;
    }
    const dense = new Float64Array(2 * d.totalBins);
    const sparse = new Float64Array(2 * d.totalBins);
    buildHistogram(d.bins, nFeatures, rows, 0, rows.length, gh, dense);
    const s = d.sparse!;
    buildSparseHistogram(s.rowStart, s.bins, s.frequentBin, d.binOffset, d.totalBins, rows, 0, rows.length, gh, g, h, sparse);
    for (let i = 0; i < dense.length; i++) expect(Math.abs(sparse[i]! - dense[i]!)).toBeLessThan(1e-9);
  });

  it('keeps dense data dense', () => {
    const rng = mulberry32(5);
    const m = { nRows: 200, nFeatures: 3, values: Float64Array.from({ length: 600 }, () => rng.next()) };
    expect(binMatrix(m, computeCuts(m, 256, 200_000, 1)).sparse).toBeNull();
  });
});
