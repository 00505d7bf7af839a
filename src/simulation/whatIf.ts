/**
 * "What if" on the twin: the catalogue in force and a candidate, each run as the engine in
 * the closed loop on the same simulated bank and seed, with the same propensity models
 * (trained once on an exploration run of another seed), scored by the same yardstick. The
 * console asks it before a catalogue is published.
 */
import { z } from 'zod';
import type { Catalogue } from '../decisioning/index.js';
import { enginePolicy, measureOnTwin, trainTwinScorer } from './enginePolicy.js';
import { TRAINING_SEED_OFFSET } from './compare.js';
import { parseScenario } from './scenario.js';
import { summariseComparison, type YardstickRow } from './yardstick.js';

export const WhatIfOptions = z
  .object({
    customers: z.number().int().min(50).max(2000).default(300).describe('Simulated customers'),
    days: z.number().int().min(14).max(180).default(60).describe('Simulated days each catalogue runs'),
    trainDays: z.number().int().min(14).max(180).default(60).describe('Days of the exploration run the propensity models learn from'),
    seed: z.number().int().min(0).max(1_000_000).default(1),
  })
  .strict();
export type WhatIfOptions = z.output<typeof WhatIfOptions>;

const COMPARED = ['acceptedValueGBP', 'netValueGBP', 'contactsPerCustomer', 'churnRate', 'harm', 'acceptanceRate'] as const;

export interface WhatIfResult {
  options: WhatIfOptions;
  current: YardstickRow;
  candidate: YardstickRow;
  /** Candidate less current, per yardstick figure. */
  delta: Record<(typeof COMPARED)[number], number>;
}

/** Runs both catalogues on the same twin bank; `pause` is awaited after each simulated day. */
export async function whatIfOnTwin(
  current: Catalogue,
  candidate: Catalogue,
  o: WhatIfOptions,
  hooks: { pause?: () => Promise<void>; onProgress?: (stage: 'training' | 'current' | 'candidate') => void } = {},
): Promise<WhatIfResult> {
  const scenario = parseScenario({ name: 'what-if', customers: o.customers, days: o.days, seed: o.seed });
  const pause = hooks.pause ? { pause: hooks.pause } : {};
  hooks.onProgress?.('training');
  const trained = await trainTwinScorer(scenario, { days: o.trainDays, seed: o.seed + TRAINING_SEED_OFFSET, ...pause });
  hooks.onProgress?.('current');
  const before = await measureOnTwin(enginePolicy(current, trained.scorer, 'current', trained.scores), scenario, { days: o.days, seed: o.seed, ...pause });
  hooks.onProgress?.('candidate');
  const after = await measureOnTwin(enginePolicy(candidate, trained.scorer, 'candidate', trained.scores), scenario, { days: o.days, seed: o.seed, ...pause });
  const [a, b] = summariseComparison([before, after]).rows as [YardstickRow, YardstickRow];
  const delta = Object.fromEntries(COMPARED.map((k) => [k, Math.round((b[k] - a[k]) * 10_000) / 10_000])) as WhatIfResult['delta'];
  return { options: o, current: a, candidate: b, delta };
}
