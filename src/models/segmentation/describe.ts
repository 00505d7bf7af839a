/**
 * Turns segment centres into words a marketer reads ("very high debt, high assets and income,
 * above-average age") and a short name ("frequent travellers"). Deterministic: the same
 * centres and labels always give the same words.
 *
 * Each feature of a centre gets its z-score against the whole customer base,
 * (centre - population mean) / population SD, and a level:
 *   z >= 1: "very high"   0.5 <= z < 1: "high"   0.25 <= z < 0.5: "above-average"
 *   z <= -1: "very low"   -1 < z <= -0.5: "low"  -0.5 < z <= -0.25: "below-average"
 * |z| < 0.25 is "typical" and not mentioned. At most `maxTraits` features are described,
 * strongest |z| first. A feature may carry its own words for "clearly high/low" (|z| >= 0.5),
 * e.g. "mobile-first" for a high share of mobile logins, and a segment name used when it is the
 * segment's strongest trait, e.g. "frequent travellers".
 */
import type { Scaler } from './matrix.js';

/** How a feature is spoken of. */
export interface FeatureWords {
  /** Column name in the data. */
  column: string;
  /** Human label, e.g. "travel spend". Defaults to the column name. */
  label?: string;
  /** Phrase for a clearly high value, e.g. "mobile-first". */
  high?: string;
  /** Phrase for a clearly low value, e.g. "branch-loyal". */
  low?: string;
  /** Segment name when this feature is the strongest high trait, e.g. "frequent travellers". */
  highName?: string;
  /** Segment name when this feature is the strongest low trait. */
  lowName?: string;
}

export type TraitLevel = 'very high' | 'high' | 'above-average' | 'below-average' | 'low' | 'very low';

/** One feature that sets a segment apart. */
export interface Trait {
  column: string;
  label: string;
  level: TraitLevel;
  z: number;
  /** The centre's value in original units and the population mean, for the analyst. */
  value: number;
  populationMean: number;
}

/** A segment in words. */
export interface SegmentDescription {
  segment: number;
  name: string;
  summary: string;
  traits: Trait[];
}

/** The level word for a z-score, or undefined when the feature is typical. */
export function traitLevel(z: number): TraitLevel | undefined {
  if (z >= 1) return 'very high';
  if (z >= 0.5) return 'high';
  if (z >= 0.25) return 'above-average';
  if (z <= -1) return 'very low';
  if (z <= -0.5) return 'low';
  if (z <= -0.25) return 'below-average';
  return undefined;
}

/** "travel spend" + "FX spend" at one level -> "travel and FX spend"; otherwise "income and assets". */
function joinLabels(labels: string[]): string {
  if (labels.length === 1) return labels[0]!;
  const words = labels.map((l) => l.split(' '));
  const last = words[0]![words[0]!.length - 1]!;
  const shared = words.every((w) => w.length > 1 && w[w.length - 1] === last);
  const parts = shared ? words.map((w) => w.slice(0, -1).join(' ')) : labels;
  const joined = parts.length === 2 ? `${parts[0]} and ${parts[1]}` : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return shared ? `${joined} ${last}` : joined;
}

function ownPhrase(t: Trait, w: FeatureWords): string | undefined {
  if (Math.abs(t.z) < 0.5) return undefined;
  return t.z > 0 ? w.high : w.low;
}

/** Describes each centre (given in original units, k x cols row-major) in words. */
export function describeSegments(centres: Float64Array, k: number, scaler: Scaler, words: readonly FeatureWords[], options: { maxTraits?: number } = {}): SegmentDescription[] {
  const d = words.length;
  const maxTraits = options.maxTraits ?? 3;
  const out: SegmentDescription[] = [];
  for (let s = 0; s < k; s++) {
    const traits: Trait[] = [];
    for (let j = 0; j < d; j++) {
      const value = centres[s * d + j]!;
      const z = (value - scaler.mean[j]!) / scaler.sd[j]!;
      const level = traitLevel(z);
      if (level) traits.push({ column: words[j]!.column, label: words[j]!.label ?? words[j]!.column, level, z, value, populationMean: scaler.mean[j]! });
    }
    // Strongest first; equal strength keeps column order so the words never depend on sort stability.
    traits.sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || words.findIndex((w) => w.column === a.column) - words.findIndex((w) => w.column === b.column));
    const kept = traits.slice(0, maxTraits);
    const wordsOf = (t: Trait) => words.find((w) => w.column === t.column)!;
    // Own phrases stand alone; the rest are grouped by level in order of first appearance.
    const phrases: string[] = [];
    const groups = new Map<TraitLevel, string[]>();
    const order: (TraitLevel | string)[] = [];
    for (const t of kept) {
      const own = ownPhrase(t, wordsOf(t));
      if (own) {
        order.push(own);
        continue;
      }
      if (!groups.has(t.level)) {
        groups.set(t.level, []);
        order.push(t.level);
      }
      groups.get(t.level)!.push(t.label);
    }
    for (const item of order) {
      const labels = groups.get(item as TraitLevel);
      phrases.push(labels ? `${item} ${joinLabels(labels)}` : item);
    }
    const summary = phrases.length > 0 ? phrases.join(', ') : 'close to the average customer on every feature';
    out.push({ segment: s, name: segmentName(kept, wordsOf), summary, traits: kept });
  }
  // Two segments must not share a name: later ones add their next phrase.
  const seen = new Map<string, number>();
  for (const d of out) {
    const count = seen.get(d.name) ?? 0;
    seen.set(d.name, count + 1);
    if (count > 0) d.name = `${d.name} (${d.summary.split(', ').slice(1, 2)[0] ?? `segment ${d.segment + 1}`})`;
  }
  return out;
}

function segmentName(traits: Trait[], wordsOf: (t: Trait) => FeatureWords): string {
  const lead = traits[0];
  if (!lead) return 'Typical customers';
  const w = wordsOf(lead);
  // The strongest trait alone keeps the name short; the summary carries the rest.
  const name = (lead.z > 0 ? w.highName : w.lowName) ?? ownPhrase(lead, w) ?? `${lead.level} ${lead.label}`;
  return name.charAt(0).toUpperCase() + name.slice(1);
}
