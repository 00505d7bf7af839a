/**
 * Model cards (Mitchell et al., "Model Cards for Model Reporting", 2019): every registered
 * model carries one, built here from what training measured (governance/modelCard renders
 * it for a model-risk file).
 */
import type { ModelCard, TrainingWindow } from '../store/modelRegistry.js';

/** What a training job knows when it writes the card. */
export interface CardInput {
  title: string;
  intendedUse: string;
  outOfScope: string;
  window: TrainingWindow;
  rows: number;
  positives?: number;
  label: string;
  split: string;
  definitionsHash: string;
  features: string[];
  metrics: Record<string, number | null>;
  limitations: string[];
  fairness?: string;
  fairnessAudit?: unknown;
}

/** Builds a card; without a fairness audit the card says so rather than staying silent. */
export function buildModelCard(c: CardInput): ModelCard {
  return {
    title: c.title,
    intendedUse: c.intendedUse,
    outOfScope: c.outOfScope,
    data: { window: c.window, rows: c.rows, ...(c.positives !== undefined ? { positives: c.positives } : {}), label: c.label, split: c.split },
    features: { count: c.features.length, definitionsHash: c.definitionsHash, names: [...c.features] },
    metrics: Object.fromEntries(Object.entries(c.metrics).map(([k, v]) => [k, v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(6))])),
    limitations: [...c.limitations],
    fairness: c.fairness ?? 'No fairness audit has been run for this version: run one before using it for decisions that affect access to credit.',
    ...(c.fairnessAudit !== undefined ? { fairnessAudit: c.fairnessAudit } : {}),
  };
}

