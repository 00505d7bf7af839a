/**
 * Model cards for people: the registry holds each model's card as JSON (built by the
 * training job); this renders it as Markdown for a model-risk file or a review.
 */
import type { ModelSummary } from '../store/modelRegistry.js';

/** The card as Markdown, with the registry's facts (id, stage, dates) on top. */
export function renderModelCard(model: Pick<ModelSummary, 'id' | 'stage' | 'kind' | 'createdAt' | 'promotedAt' | 'card' | 'params'>): string {
  const c = model.card;
  const lines = [
    `# ${c.title}`,
    '',
    `| | |`,
    `|---|---|`,
    `| Model | \`${model.id}\` (${model.kind}) |`,
    `| Stage | ${model.stage}${model.promotedAt ? ` since ${model.promotedAt}` : ''} |`,
    `| Trained | ${model.createdAt} |`,
    `| Data window | ${c.data.window.from} to ${c.data.window.to} |`,
    `| Rows | ${c.data.rows}${c.data.positives !== undefined ? ` (${c.data.positives} positive)` : ''} |`,
    `| Label | ${c.data.label} |`,
    `| Split | ${c.data.split} |`,
    ...(c.data.consentExcluded !== undefined ? [`| Left out for consent | ${c.data.consentExcluded} customers (objection to profiling or training purpose withheld) |`] : []),
    `| Features | ${c.features.count} (definitions ${c.features.definitionsHash}) |`,
    '',
    '## Intended use',
    c.intendedUse,
    '',
    '## Out of scope',
    c.outOfScope,
    '',
    '## Metrics (held-out time slice)',
    ...Object.entries(c.metrics).map(([k, v]) => `- ${k}: ${v === null ? 'n/a' : v}`),
    '',
    '## Limitations',
    ...c.limitations.map((l) => `- ${l}`),
    '',
    '## Fairness',
    c.fairness,
    '',
    ...fairnessTable(c.fairnessAudit),
    '## Features',
    c.features.names.join(', '),
    '',
  ];
  return lines.join('\n');
}

interface AuditShape {
  attributes?: { attribute: string; groups: { group: string; n: number; selectionRate: number; truePositiveRate: number; auc: number; calibrationGap: number; judged: boolean }[]; flags: string[] }[];
}

/** The audit's groups as a Markdown table (training/fairness.ts writes the audit). */
function fairnessTable(audit: unknown): string[] {
  const a = audit as AuditShape | undefined;
  if (!a?.attributes?.length) return [];
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
  return [
    '| attribute | group | rows | selected | TPR | AUC | calibration gap | flags |',
    '|---|---|---|---|---|---|---|---|',
    ...a.attributes.flatMap((x) => x.groups.map((g, i) => `| ${x.attribute} | ${g.group}${g.judged ? '' : ' (too few to judge)'} | ${g.n} | ${f(g.selectionRate)} | ${f(g.truePositiveRate)} | ${f(g.auc)} | ${f(g.calibrationGap)} | ${i === 0 ? x.flags.join('; ') : ''} |`)),
    '',
  ];
}
