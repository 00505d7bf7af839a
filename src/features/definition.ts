import { z } from 'zod';

/**
 * The declarative shape of a feature. One definition is compiled once (compile.ts) and
 * the same compiled code serves the online aggregator and the offline builder.
 */

/** Window names and their length in days; `lifetime` has no bound. */
export const WINDOW_DAYS = { '7d': 7, '30d': 30, '90d': 90, '120d': 120, '365d': 365, lifetime: Number.POSITIVE_INFINITY } as const;
export type WindowName = keyof typeof WINDOW_DAYS;
export const WINDOW_NAMES = Object.keys(WINDOW_DAYS) as WindowName[];

export const AGGREGATIONS = [
  'count',
  'sum',
  'mean',
  'min',
  'max',
  'stddev',
  'last',
  'first_seen',
  'days_since_last',
  'distinct_count',
  'active_days',
  'ewm',
  'trend_ratio',
  'weekly_slope',
] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Aggregations that read the event's value (the others count events). */
export const NEEDS_NUMERIC_VALUE: ReadonlySet<Aggregation> = new Set(['sum', 'mean', 'min', 'max', 'stddev', 'last', 'ewm']);
/** Aggregations that only make sense over the whole history. */
export const LIFETIME_ONLY: ReadonlySet<Aggregation> = new Set(['first_seen', 'days_since_last', 'ewm']);
/** Aggregations that compare the window with the one before or with its own weeks. */
export const NEEDS_BOUNDED_WINDOW: ReadonlySet<Aggregation> = new Set(['trend_ratio', 'weekly_slope', 'active_days']);

/**
 * Whose events a feature aggregates: a customer's own (the default), or the global market
 * events (`market_event`, stored under no customer), computed once and joined into every
 * customer's profile as of the profile's time (features/market.ts).
 */
export const FEATURE_SCOPES = ['customer', 'market'] as const;
export type FeatureScope = (typeof FEATURE_SCOPES)[number];

/** The one event type a market-scope feature reads. */
export const MARKET_EVENT_TYPE = 'market_event';

const FeatureName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be snake_case: a lower-case letter, then letters, digits or _ (max 64)');

/** A feature aggregated from events of some types. */
export const AggregateFeatureDef = z
  .object({
    name: FeatureName,
    description: z.string().min(1, 'must say what the feature means'),
    unit: z.string().max(40).optional(),
    /** `market`: aggregated once over the global market events, not per customer. Default `customer`. */
    scope: z.enum(FEATURE_SCOPES).optional(),
    /** Source event types. */
    events: z.array(z.string()).min(1, 'needs at least one event type'),
    /** CEL over `event` (the event as sent): only events for which it is true count. */
    where: z.string().min(1).optional(),
    /** A dotted field path (`payload.amount.minor`) or a CEL expression over `event`. */
    value: z.string().min(1).optional(),
    /** Multiplies the value: e.g. 0.01 for pence to pounds, -0.01 for money out in pounds. */
    scale: z.number().finite().optional(),
    aggregation: z.enum(AGGREGATIONS),
    window: z.string(),
    /** For `ewm`: the age at which an event's weight halves. */
    halfLifeDays: z.number().positive().finite().optional(),
  })
  .strict();
export type AggregateFeatureDef = z.input<typeof AggregateFeatureDef>;

/** A feature computed from other features by a CEL expression (numbers are doubles: write 2.0, not 2). */
export const DerivedFeatureDef = z
  .object({
    name: FeatureName,
    description: z.string().min(1, 'must say what the feature means'),
    unit: z.string().max(40).optional(),
    expr: z.string().min(1),
  })
  .strict();
export type DerivedFeatureDef = z.input<typeof DerivedFeatureDef>;

export type FeatureDef = AggregateFeatureDef | DerivedFeatureDef;

/** A file of definitions (YAML or JSON): `{ version: 1, features: [...] }`. */
export const FeatureFile = z
  .object({
    version: z.literal(1, { message: 'must be 1' }),
    features: z.array(z.union([AggregateFeatureDef, DerivedFeatureDef])).min(1),
  })
  .strict();
export type FeatureFile = z.input<typeof FeatureFile>;

/** True for an aggregate over the global market events. */
export function isMarket(def: FeatureDef): def is AggregateFeatureDef & { scope: 'market' } {
  return !isDerived(def) && def.scope === 'market';
}

/** True when the definition is derived from other features. */
export function isDerived(def: FeatureDef): def is DerivedFeatureDef {
  return 'expr' in def;
}
