/**
 * The action catalogue: what the bank can suggest, on which channels, with what value and
 * under which policies. One zod schema gives the TypeScript type, the YAML/API validation
 * and the OpenAPI document.
 */
import { z } from 'zod';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CHANNEL_NAMES, Channel, INTERRUPTING_CHANNELS } from '../core/channels.js';
import { ConsentPurpose } from '../core/events.js';
import { ValidationError } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import { RULE_KINDS } from './policies/index.js';

export const CATALOGUE_FORMAT_VERSION = 1 as const;

export const ACTION_FAMILIES = ['credit_card', 'personal_loan', 'refinancing', 'savings', 'investment', 'pension', 'retention', 'guidance', 'service_message'] as const;
export const ActionFamily = z.enum(ACTION_FAMILIES);
export type ActionFamily = z.infer<typeof ActionFamily>;

/** The channels an action can be delivered on (outbound and inbound): core/channels.ts. */
export const OFFER_CHANNELS = CHANNEL_NAMES;
export const OfferChannel = Channel;
export type OfferChannel = Channel;

/** Families that lend money: never offered to customers in financial stress. */
export const CREDIT_FAMILIES: ReadonlySet<ActionFamily> = new Set(['credit_card', 'personal_loan']);

/** The kinds a catalogue rule may have: read from the built-in policy list (policies/index.ts), in the order they run. */
export const POLICY_KINDS = RULE_KINDS;
export const PolicyKind = z.enum(POLICY_KINDS);
export type PolicyKind = z.infer<typeof PolicyKind>;

const Id = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'ids are lower-case letters, digits and _ (1-64), starting with a letter');
const IsoDate = z.iso.date({ message: 'must be a date YYYY-MM-DD' });
const Cel = z.string().min(1).max(2000);

/** A CEL rule: the action passes while `when` is true; `reason` says why it was excluded. */
export const PolicyRule = z
  .object({
    kind: PolicyKind,
    when: Cel.describe('CEL over customer, profile, signals, scores, context and action; true = the action may go ahead.'),
    reason: z.string().min(1).max(200).describe('Plain words for the audit when the rule excludes an action.'),
    because: z.string().max(200).optional().describe('Customer-facing words when the rule passes, e.g. "you hold over £10,000 in cash".'),
    appliesTo: z
      .object({ families: z.array(ActionFamily).optional(), actions: z.array(Id).optional() })
      .strict()
      .optional()
      .describe('A shared rule applies by itself to these families or actions; without it, only actions that name it.'),
  })
  .strict();
export type PolicyRule = z.infer<typeof PolicyRule>;

/** One channel's rendering of the action's shared message. */
export const Treatment = z
  .object({
    title: z.string().max(120).optional(),
    cta: z.string().max(40).optional(),
    script: z.string().max(2000).optional().describe('Call-centre or branch script.'),
    template: z.string().max(80).optional().describe('Id of the email or banner template.'),
  })
  .strict();

export const Action = z
  .object({
    id: Id,
    name: z.string().min(1).max(120),
    family: ActionFamily,
    description: z.string().max(500).optional(),
    /** Consent purpose the action needs; `service` needs none (service messages, duty-of-care guidance). */
    purpose: z.union([ConsentPurpose, z.literal('service')]).default('marketing'),
    /**
     * Additional consent purposes the action needs beyond its own (e.g. `third_party_sharing`
     * for a partner's product, `research` for a survey). A marketing action always needs
     * `personalised_offers` as well: every action the engine picks is chosen from the customer's data.
     */
    consents: z.array(ConsentPurpose).default([]),
    value: z
      .object({
        model: z.enum(['margin', 'clv_impact', 'retention']).default('margin'),
        amountGbp: z.number().positive().max(1e7).describe('Expected first-year margin or CLV impact in GBP if taken up; for `retention`, the customer lifetime value used when no CLV score is available.'),
        churnReduction: z.number().min(0).max(1).default(0.5).describe('retention: the share of the churn risk removed when the customer takes the action up.'),
      })
      .strict(),
    /** Product risk on the customer risk-tolerance scale: 0 none, 1 low, 2 medium, 3 high. */
    productRisk: z.number().int().min(0).max(3).default(0),
    /** Chance a take-up is unsuitable though nothing on record shows it (credit draws the stretched); arbitration's expected harm counts it. */
    harmChance: z.number().min(0).max(1).optional(),
    /**
     * Chance a take-up harms a customer showing the stress signal, in place of `arbitration.harm.stress`
     * for this action: 0 for what helps a stretched customer (a switch to a cheaper rate on a loan they already have).
     */
    stressHarm: z.number().min(0).max(1).optional(),
    message: z
      .object({
        headline: z.string().min(1).max(120),
        body: z.string().min(1).max(600),
        disclosure: z.string().max(600).optional(),
      })
      .strict()
      .describe('One message shared by every channel, so customers hear the same thing everywhere.'),
    treatments: z.partialRecord(OfferChannel, Treatment).refine((t) => Object.keys(t).length > 0, 'needs at least one channel'),
    validFrom: IsoDate.optional(),
    validTo: IsoDate.optional(),
    /** Names of shared rules, or rules of this action only. */
    policies: z.array(z.union([Id, PolicyRule])).default([]),
    /** Propensity used while no model scores the action (new actions, no profiling consent). */
    prior: z.number().min(0).max(1).default(0.02),
    /** CEL giving a number: how much the moment suits the action (1 = neutral). */
    contextWeight: Cel.optional(),
    /** Most times per day the action may be chosen across all customers (e.g. call-centre slots). */
    dailyCapacity: z.number().int().positive().optional(),
    /** Days after a decline before the action may be shown again (overrides the contact policy). */
    declineCooldownDays: z.number().int().min(0).max(3650).optional(),
    /** FCA targeted support: a suggestion for a group of customers, not personal advice. */
    targetedSupport: z.boolean().default(false),
    /** Targeted-support wording for this group's suggestion, when the catalogue-wide wording does not fit (e.g. cash, not investments). */
    supportWording: z.string().min(1).max(800).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.validFrom && a.validTo && a.validTo < a.validFrom) ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'must not be before validFrom' });
  });
export type Action = z.infer<typeof Action>;
export type ActionInput = z.input<typeof Action>;

const Cap = z
  .object({
    channel: z.union([OfferChannel, z.literal('*')]).default('*'),
    family: ActionFamily.optional(),
    max: z.number().int().min(0),
    periodDays: z.number().positive().max(366),
  })
  .strict();
export type ContactCap = z.infer<typeof Cap>;

const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24h)');

export const ContactPolicy = z
  .object({
    caps: z.array(Cap).default([]),
    declineCooldownDays: z.number().int().min(0).max(3650).default(30),
    quietHours: z
      .object({ start: Clock, end: Clock, channels: z.array(OfferChannel).default(() => [...INTERRUPTING_CHANNELS]).describe('Default: the channels that interrupt the customer (core/channels.ts).') })
      .strict()
      .optional(),
    maxActionsPerSession: z.number().int().positive().optional(),
    /** Most actions chosen per channel per day across all customers. */
    channelDailyCapacity: z.partialRecord(OfferChannel, z.number().int().positive()).default({}),
  })
  .strict();
export type ContactPolicy = z.infer<typeof ContactPolicy>;

export const Levers = z
  .object({
    families: z.partialRecord(ActionFamily, z.number().min(0).max(100)).default({}),
    actions: z.record(Id, z.number().min(0).max(100)).default({}),
  })
  .strict();
export type Levers = z.infer<typeof Levers>;

export const Catalogue = z
  .object({
    formatVersion: z.literal(CATALOGUE_FORMAT_VERSION, { message: `must be ${CATALOGUE_FORMAT_VERSION}` }),
    /** Named booleans over customer and profile, computed once per decision (e.g. financial_stress). */
    signals: z.record(Id, Cel).default({}),
    policies: z.record(Id, PolicyRule).default({}),
    contactPolicy: ContactPolicy.prefault({}),
    levers: Levers.prefault({}),
    arbitration: z
      .object({
        /** Actions whose propensity is below this are not offered at all: a contact the customer will not want costs goodwill. */
        minPropensity: z.number().min(0).max(1).default(0),
        /** CEL giving the customer's lifetime value (GBP); a missing or negative number falls back to each action's amountGbp. */
        clv: Cel.optional(),
        /** CEL giving the customer's probability of leaving (0..1); retention is valued at CLV x this x the action's churnReduction. */
        churnRisk: Cel.optional(),
        /**
         * CEL giving the chance (0..1) that a customer who takes a retention action up was
         * leaving. Take-up of a retention offer is concentrated among leavers, so the propensity
         * already carries the churn risk: when this gives a number, a take-up is valued at CLV x
         * this x churnReduction (not x churnRisk again). A missing or negative number falls back to churnRisk.
         */
        leavingGivenTakeUp: Cel.optional(),
        /** Fatigue: GBP charged per contact in the same budget (marketing or service) within `fatigueWindowDays`. */
        fatigueGbpPerContact: z.number().min(0).max(1000).default(0),
        fatigueWindowDays: z.number().positive().max(366).default(30),
        /** Expected harm of a product the customer takes up: costGbp x the chance it is unsuitable. */
        harm: z
          .object({
            costGbp: z.number().min(0).max(1e6).default(650),
            /** Chance of harm when the signal named by `stressSignal` is on (products other than guidance and service). */
            stress: z.number().min(0).max(1).default(0),
            stressSignal: Id.default('financial_stress'),
            /** Chance of harm for a customer with a vulnerability flag, on credit or any product with risk. */
            vulnerable: z.number().min(0).max(1).default(0),
            /** Chance of harm when the product's risk is above the customer's risk tolerance. */
            aboveRiskTolerance: z.number().min(0).max(1).default(0),
            /**
             * CEL giving a chance (0..1) of harm the record cannot show yet, for this customer now:
             * a short history, say, where stress and arrears have had no time to appear
             * (`profile.days_since_first_seen < 60.0 ? 0.1 : 0.0`). Credit and products with risk only, like `vulnerable`.
             */
            unseen: Cel.optional(),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * Values rules read for features that are missing, where absence has a meaning (no
     * savings account: zero savings), instead of NaN (unknown: rules fail closed).
     */
    featureDefaults: z.record(z.string(), z.number()).default({}),
    /** Plain words for model features, used in explanations. */
    featureLabels: z.record(z.string(), z.string().max(120)).default({}),
    targetedSupport: z
      .object({
        wording: z.string().min(1).max(800),
        minIdleCashGbp: z.number().positive().default(10_000),
      })
      .strict()
      .optional(),
    actions: z.array(Action).min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.actions.forEach((a, i) => {
      if (seen.has(a.id)) ctx.addIssue({ code: 'custom', path: ['actions', i, 'id'], message: `duplicate action id ${a.id}` });
      seen.add(a.id);
      a.policies.forEach((p, j) => {
        if (typeof p === 'string' && !(p in c.policies)) ctx.addIssue({ code: 'custom', path: ['actions', i, 'policies', j], message: `no shared policy named ${p}` });
      });
      if (a.targetedSupport && !c.targetedSupport) ctx.addIssue({ code: 'custom', path: ['actions', i, 'targetedSupport'], message: 'needs the catalogue-level targetedSupport wording' });
    });
  });
export type Catalogue = z.infer<typeof Catalogue>;
export type CatalogueInput = z.input<typeof Catalogue>;

/** Parses and checks a catalogue object; throws VALIDATION_FAILED naming each field and rule. */
export function parseCatalogue(input: unknown): Catalogue {
  const parsed = Catalogue.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error), `invalid catalogue: ${fieldIssues(parsed.error).map((i) => `${i.field || 'the document'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Parses a catalogue from YAML text. */
export function parseCatalogueYaml(text: string): Catalogue {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ValidationError([{ field: '', rule: 'yaml', message: (e as Error).message }], `catalogue is not valid YAML: ${(e as Error).message}`);
  }
  return parseCatalogue(doc);
}

/**
 * A catalogue as YAML (`nextbest catalogue export`): every default written out, so the file
 * reads the same under later defaults and imports back to the same version.
 */
export function catalogueYaml(catalogue: Catalogue): string {
  return stringifyYaml(catalogue, { lineWidth: 0 });
}

/** Checks one action on its own (API create/replace); shared-policy names are checked on compile. */
export function parseAction(input: unknown): Action {
  const parsed = Action.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  return parsed.data;
}
