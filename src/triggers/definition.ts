/**
 * Trigger definitions: the moments that make the bank act now rather than wait for the
 * customer to come. One zod schema gives the type, the YAML and API validation; CEL
 * conditions are compiled through src/rules in the `trigger` environment when a trigger
 * set is loaded, so a rule that does not compile or costs too much is refused on save.
 */
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { Channel } from '../core/channels.js';
import { ValidationError } from '../core/errors.js';
import { EVENT_TYPES, LifeEventEvent, type EventType } from '../core/events.js';
import { fieldIssues } from '../core/validate.js';

const Id = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'trigger ids are lower-case letters, digits and _ (1-64), starting with a letter');
const Name = z.string().regex(/^[a-z0-9_]{1,64}$/, 'action and family ids are lower-case letters, digits and _');
const EventTypeName = z.enum(EVENT_TYPES as [EventType, ...EventType[]]);

/** A period such as `30d`, `12h` or `90m`, in milliseconds (milliseconds in a whole number of minutes are read as that period, so a stored trigger reads back). */
export const Period = z.preprocess(
  (v) => (typeof v === 'number' && Number.isInteger(v) && v > 0 && v % 60_000 === 0 ? (v % 86_400_000 === 0 ? `${v / 86_400_000}d` : v % 3_600_000 === 0 ? `${v / 3_600_000}h` : `${v / 60_000}m`) : v),
  z
    .string()
    .regex(/^[1-9]\d{0,4}[mhd]$/, 'must be a whole number of minutes, hours or days, e.g. 30d, 12h, 90m')
    .transform((s) => Number(s.slice(0, -1)) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[s.slice(-1) as 'm' | 'h' | 'd']),
);

/** A measure a threshold watches: a profile feature or a customer score. */
const Measure = z.string().regex(/^(profile|scores)\.[a-z][a-z0-9_]{0,63}$/, 'must be profile.<feature> or scores.<score>');

const common = {
  id: Id,
  description: z.string().max(500).default(''),
  enabled: z.boolean().default(true),
  /** Higher wins when several triggers fire on one event. */
  priority: z.number().int().min(0).max(1000).default(0),
  /** Extra condition over event, customer, profile, scores and context (CEL, `trigger` environment). */
  condition: z.string().min(1).max(2000).optional(),
  /** The actions or families decisioning may choose among; the rest of the catalogue is not considered. */
  consider: z
    .object({ actions: z.array(Name).max(100).default([]), families: z.array(Name).max(50).default([]) })
    .strict()
    .refine((c) => c.actions.length + c.families.length > 0, 'needs at least one action or family'),
  /** The customer's preferred channel first (unless `preferred: false`), then the fallbacks in order. */
  channels: z
    .object({ preferred: z.boolean().default(true), fallbacks: z.array(Channel).max(10).default([]) })
    .strict()
    .default({ preferred: true, fallbacks: [] })
    .refine((c) => c.preferred || c.fallbacks.length > 0, 'needs the preferred channel or at least one fallback'),
  /** Fires at most once in this period per customer (the guard against overwhelming them). */
  oncePer: Period,
  /**
   * A journey: the chosen action again on other channels after waits, if the customer has not
   * answered (each step re-checks consent, suitability and the caps when it runs).
   */
  followUps: z
    .array(
      z
        .object({
          channel: Channel,
          /** Wait after the previous step; for a step with `on`, when it starts waiting for its event (default at once). */
          after: Period.optional(),
          /** The step runs at the customer's next event of these types passing `condition`, if it comes `within` the period; otherwise it lapses. */
          on: z
            .object({ events: z.array(EventTypeName).min(1, 'needs at least one event type').max(20), condition: z.string().min(1).max(2000).optional(), within: Period })
            .strict()
            .optional(),
        })
        .strict()
        .refine((f) => f.after !== undefined || f.on !== undefined, { message: 'needs `after` (a wait), `on` (an event to wait for), or both', path: ['after'] }),
    )
    .max(5)
    .default([]),
};

/** Fires on events of these types that pass the condition (e.g. a deposit of £50,000 or more). */
export const EventTrigger = z.object({ ...common, kind: z.literal('event'), events: z.array(EventTypeName).min(1, 'needs at least one event type') }).strict();

/** Fires when a measure crosses a level, or a state is entered, between the profile before and after an event. */
export const ThresholdTrigger = z
  .object({
    ...common,
    kind: z.literal('threshold'),
    measure: Measure,
    below: z.number().finite().optional(),
    above: z.number().finite().optional(),
    enters: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((t) => [t.below, t.above, t.enters].filter((x) => x !== undefined).length === 1, { message: 'needs exactly one of below, above or enters', path: ['measure'] });

/** Fires on the clock when none of these events has happened for `days` (e.g. no login for 45 days). */
export const AbsenceTrigger = z
  .object({ ...common, kind: z.literal('absence'), events: z.array(EventTypeName).min(1, 'needs at least one event type'), days: z.number().positive().max(3650) })
  .strict();

/** Fires on a life event of these kinds (declared or inferred). */
export const LifeEventTrigger = z
  .object({ ...common, kind: z.literal('life_event'), kinds: z.array(LifeEventEvent.shape.payload.shape.kind).min(1, 'needs at least one kind') })
  .strict();

export const Trigger = z.discriminatedUnion('kind', [EventTrigger, ThresholdTrigger, AbsenceTrigger, LifeEventTrigger]);
export type Trigger = z.infer<typeof Trigger>;
export type TriggerInput = z.input<typeof Trigger>;
export type TriggerKind = Trigger['kind'];

/** A trigger set as a file holds it. */
export const TriggerSet = z
  .object({ triggers: z.array(Trigger).max(500) })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.triggers.forEach((t, i) => {
      if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: ['triggers', i, 'id'], message: `duplicate trigger id ${t.id}` });
      seen.add(t.id);
    });
  });
export type TriggerSet = z.infer<typeof TriggerSet>;

/** Parses and checks a trigger set; throws VALIDATION_FAILED naming each field and rule. */
export function parseTriggerSet(input: unknown): TriggerSet {
  const parsed = TriggerSet.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error), `invalid triggers: ${fieldIssues(parsed.error).map((i) => `${i.field || 'the document'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Parses one trigger (API create/replace). */
export function parseTrigger(input: unknown): Trigger {
  const parsed = Trigger.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  return parsed.data;
}

/** Parses a trigger set from YAML text. */
export function parseTriggerYaml(text: string): TriggerSet {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ValidationError([{ field: '', rule: 'yaml', message: (e as Error).message }], `triggers are not valid YAML: ${(e as Error).message}`);
  }
  return parseTriggerSet(doc);
}
