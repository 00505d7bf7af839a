import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vi } from 'vitest';
import { mulberry32, normal } from '../../../src/core/random.js';
import type { FeatureMatrix } from '../../../src/models/gbdt/index.js';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/gbdt');

/** Reads a fixture as text. */
export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** Runs a CLI entry point and captures what it writes to stdout and stderr. */
export async function capture(fn: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await fn();
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** A seeded random binary problem with some missing values: y depends on x0 (up), x1 (down), x2 x3. */
export function randomProblem(seed: number, nRows: number, nFeatures: number, missingRate = 0.05): { X: FeatureMatrix; y: Float64Array } {
  const rng = mulberry32(seed);
  const values = new Float64Array(nRows * nFeatures);
  const y = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    for (let f = 0; f < nFeatures; f++) values[r * nFeatures + f] = f === 2 ? Math.floor(rng.next() * 5) : normal(rng);
    const x = (f: number) => values[r * nFeatures + f]!;
    const z = 1.2 * x(0) - 0.8 * x(1) + 0.5 * (x(2) - 2) * (nFeatures > 3 ? x(3) : 1) + normal(rng);
    y[r] = z > 0 ? 1 : 0;
    for (let f = 0; f < nFeatures; f++) if (rng.next() < missingRate) values[r * nFeatures + f] = NaN;
  }
  return { X: { nRows, nFeatures, values }, y };
}
