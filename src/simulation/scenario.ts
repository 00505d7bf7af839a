import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import { ACTION_FAMILIES } from './offers.js';
import { PERSONAS, type PersonaName } from './personas.js';

/**
 * A scenario: everything a twin run depends on. Same scenario (and seed) → byte-identical
 * output. Written as YAML in scenarios/*.yaml; every field has a default.
 */

const Rate = z.number().min(0).max(1);
const PersonaMix = z
  .partialRecord(z.enum(PERSONAS), z.number().min(0))
  .refine((mix) => Object.values(mix).some((w) => (w ?? 0) > 0), 'needs at least one persona with a positive share')
  .refine((mix) => Math.abs(Object.values(mix).reduce<number>((s, w) => s + (w ?? 0), 0) - 1) < 1e-3, 'shares must add up to 1 (within 0.001)');

const MarketEventSpec = z
  .object({
    day: z.number().int().min(0),
    kind: z.enum(['base_rate_change', 'inflation_release', 'market_shock']),
    value: z.number().finite(),
    previousValue: z.number().finite().optional(),
    description: z.string().max(200).optional(),
  })
  .strict();

const DriftSpec = z
  .object({
    day: z.number().int().min(1),
    personaMix: PersonaMix,
    /** Share of customers who re-draw their main persona from the new mix on that day. */
    share: Rate.default(1),
  })
  .strict();

/**
 * Product response: a multiplier on the hidden propensity to accept each family, per main
 * persona (`all` for every persona; a persona's own entry wins). E.g.
 * `response: { investment: { cash_rich_saver: 1.5 } }`. A blended customer gets the blend.
 */
const ResponseMultiplier = z.number().min(0, 'must be at least 0').max(10, 'must be at most 10');
const ResponseSpec = z.partialRecord(z.enum(ACTION_FAMILIES), z.partialRecord(z.enum([...PERSONAS, 'all']), ResponseMultiplier));

/** Market events and drift after the last day simply do not happen (so --days can shorten a run). */
export const Scenario = z
  .object({
    name: z.string().min(1).max(80).default('custom'),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    customers: z.number().int().min(1).max(20_000_000).default(1000),
    days: z.number().int().min(1).max(3650).default(90),
    startDate: z.iso.date({ message: 'must be a date YYYY-MM-DD' }).default('2025-01-01'),
    personaMix: PersonaMix.default({
      traveller: 0.1,
      young_professional: 0.18,
      cash_rich_saver: 0.12,
      mortgage_family: 0.2,
      stretched: 0.14,
      retiree: 0.16,
      student: 0.1,
    }),
    /** Mean weight of each customer's second persona: 0 gives pure personas. */
    personaBlend: z.number().min(0).max(0.5).default(0.2),
    /** The central bank rate at the start, in percent. */
    baseRate: z.number().min(-1).max(25).default(4.75),
    /**
     * Annual consumer-price inflation at the start, in percent; `inflation_release` events
     * change it. 0 (the default) keeps prices constant: amounts are in today's money.
     */
    inflation: z.number().min(-5).max(50).default(0),
    marketEvents: z.array(MarketEventSpec).default([]),
    response: ResponseSpec.default({}),
    drift: z.array(DriftSpec).default([]),
    faults: z
      .object({
        duplicateRate: Rate.default(0),
        lateRate: Rate.default(0),
        malformedRate: Rate.default(0),
        /** Late events arrive up to this many days after they happened. */
        maxLateDays: z.number().int().min(1).max(30).default(2),
      })
      .strict()
      .default({ duplicateRate: 0, lateRate: 0, malformedRate: 0, maxLateDays: 2 }),
    /** Write a ground-truth row per customer every N days (0: summary only). */
    groundTruthEveryDays: z.number().int().min(0).default(1),
    /** Balance snapshots per account every N days. */
    balanceSnapshotEveryDays: z.number().int().min(1).default(7),
  })
  .strict();
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

/** Validates a scenario object; throws a ValidationError naming each bad field. */
export function parseScenario(input: unknown): Scenario {
  const parsed = Scenario.safeParse(input ?? {});
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error), `scenario: ${fieldIssues(parsed.error).map((i) => `${i.field || '(scenario)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Reads and validates a YAML scenario file. */
export function loadScenario(path: string): Scenario {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ValidationError([{ field: '', rule: 'format', message: `${path} is not valid YAML: ${(e as Error).message}` }]);
  }
  return parseScenario(doc);
}

/** The persona shares as an array in PERSONAS order (missing personas = 0). */
export function mixVector(mix: Partial<Record<PersonaName, number>>): Float64Array {
  const v = new Float64Array(PERSONAS.length);
  let total = 0;
  PERSONAS.forEach((p, k) => {
    v[k] = mix[p] ?? 0;
    total += v[k]!;
  });
  for (let k = 0; k < v.length; k++) v[k] = v[k]! / total;
  return v;
}
