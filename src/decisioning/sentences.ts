/**
 * What a customer may read as the reason for a suggestion. A model feature is cited only
 * through a human label the catalogue gives it, and never when it is a protected
 * characteristic (Equality Act 2010: age, sex, race …), a vulnerability, or an internal
 * code (channel codes, contact counters): those may move a score, but telling the customer
 * "because of your age" or "because of your channel code" is neither fair nor meaningful.
 */

/**
 * Words that must never appear in customer-facing text, as whole words (lower case). The
 * lint test runs every sentence of a twin run against this list.
 */
export const DENIED_WORDS: readonly string[] = [
  // Protected characteristics (Equality Act 2010, s.4) and their usual feature names.
  'age',
  'aged',
  'birth',
  'sex',
  'gender',
  'race',
  'ethnicity',
  'ethnic',
  'religion',
  'belief',
  'disability',
  'disabled',
  'pregnancy',
  'maternity',
  'marital',
  'married',
  'orientation',
  // Vulnerability: the bank acts on it, it is not a reason to sell.
  'vulnerable',
  'vulnerability',
  'bereavement',
  'health',
  'resilience',
  // Internal codes and counters.
  'code',
  'segment',
  'nan',
  'undefined',
  'null',
];

/** Feature-name fragments a customer is never told about, whatever label they carry. */
const DENIED_FEATURE_PARTS: readonly string[] = ['age', 'sex', 'gender', 'vulnerab', 'risk_level', 'sophistication', 'channel', 'days_since_contact', 'segment', 'ethnic', 'religion', 'disab', 'marital', 'health'];

/** Whether a feature may be cited to the customer at all (its label is checked separately). */
export function citable(feature: string): boolean {
  const parts = feature.toLowerCase().split(/[^a-z0-9]+/);
  const name = feature.toLowerCase();
  return !DENIED_FEATURE_PARTS.some((d) => (d.includes('_') || d.length > 4 ? name.includes(d) : parts.includes(d)));
}

/** The label a customer reads for a feature, or undefined when it must not be cited (no human label, or denied). */
export function customerLabel(feature: string, labels: Readonly<Record<string, string>>): string | undefined {
  const label = labels[feature];
  if (label === undefined || !citable(feature)) return undefined;
  return deniedWordsIn(label).length === 0 ? label : undefined;
}

/** The denied words in a text (whole words, case-insensitive), and any snake_case token, which is a code. */
export function deniedWordsIn(text: string): string[] {
  const lower = text.toLowerCase();
  const words = new Set(lower.split(/[^a-z0-9_]+/).filter(Boolean));
  const out = DENIED_WORDS.filter((w) => words.has(w));
  for (const w of words) if (/[a-z]_[a-z]/.test(w)) out.push(w);
  return out;
}
