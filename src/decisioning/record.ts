/**
 * The decision record, its summary and their parts as zod schemas: the one source of the
 * TypeScript types (trace.ts re-exports them), of the API's response documentation and of
 * the checks that a served record has the shape it claims. The golden traces are the
 * records as decide() builds them; nothing here reorders or strips their fields.
 */
import { z } from 'zod';
import type { ContactHistory } from '../store/contactStore.js';
import { Levers } from './catalogue.js';
import type { Exclusion, ExclusionKind } from './exclusion.js';
import type { Contribution } from './scoring.js';
import type { CustomerView } from './view.js';

export const DECISION_FORMAT_VERSION = 1 as const;

/** The exclusion kinds in policy order; the compile-time check below keeps it equal to `ExclusionKind`. */
export const EXCLUSION_KINDS = ['scope', 'validity', 'channel', 'consent', 'eligibility', 'applicability', 'suitability', 'contact', 'volume', 'arbitration'] as const;

export const ExclusionSchema = z.object({
  kind: z.enum(EXCLUSION_KINDS),
  rule: z.string().describe('The rule name: a shared policy, `<action>#<n>`, or a built-in such as `quiet_hours`'),
  reason: z.string(),
  error: z.string().optional().describe('Set when a CEL rule failed at run time (it then fails closed)'),
});

export const CandidateTraceSchema = z.object({
  actionId: z.string(),
  family: z.string(),
  status: z.enum(['chosen', 'ranked', 'excluded']),
  excludedBy: ExclusionSchema.optional(),
  propensity: z.number().optional(),
  propensitySource: z.enum(['model', 'prior']).optional(),
  modelVersion: z.string().optional(),
  contextWeight: z.number().optional(),
  value: z.number().optional(),
  lever: z.number().optional(),
  priority: z.number().optional().describe('Expected net value in GBP: netValue.expectedValue less its contact, fatigue and harm costs; "no action" is worth 0'),
  netValue: z
    .object({
      valueSource: z.enum(['catalogue', 'retention']).describe('`retention`: value = CLV x churn risk (or, with arbitration.leavingGivenTakeUp, the chance a taker was leaving) x the churn reduction'),
      budget: z.enum(['marketing', 'service']).describe('Whose contact budget it spends (fatigue counts contacts in the same budget)'),
      expectedValue: z.number().describe('propensity x context weight x value x lever'),
      contactCost: z.number(),
      fatigueCost: z.number(),
      harmChance: z.number().describe('Chance a take-up is unsuitable (stress, vulnerability, risk above tolerance)'),
      harmCost: z.number().describe('propensity x harmChance x the harm cost'),
    })
    .optional()
    .describe('The parts of `priority`, for ranked actions and those that lost to "no action"'),
  rank: z.number().optional().describe('1-based position among actions that passed every static policy'),
});

export const ChosenActionSchema = z.object({
  actionId: z.string(),
  name: z.string(),
  family: z.string(),
  channel: z.string(),
  rank: z.number(),
  priority: z.number(),
  propensity: z.number(),
  headline: z.string(),
  body: z.string(),
  disclosure: z.string().optional(),
  treatment: z.record(z.string(), z.string()),
  selectionProbability: z.number().optional().describe('P(this action in this slot | the inputs) under the policy that chose it: 1 for the deterministic engine, (1 − ε)·1[greedy] + ε·share under a bandit (off-policy evaluation reads it; absent on records from before it was kept)'),
});

/** What the bandit step saw and drew (src/decisioning/bandit.ts): enough to replay its choice and to weigh it in off-policy evaluation. */
export const BanditTraceSchema = z.object({
  seed: z.number().describe('The decision\'s own seed (from its id): the explore coin and the draw'),
  budget: z.number().describe('The exploration budget ε in force on the channel (or the experiment arm\'s)'),
  model: z.enum(['beta', 'linear']),
  explored: z.boolean().describe('True when this decision explored (a Thompson draw) rather than took the greedy action'),
  greedy: z.string().optional().describe('The ranked action with the highest expected net value under the posteriors (absent: none was ranked, so the greedy choice is no action)'),
  arms: z
    .array(
      z.object({
        actionId: z.string(),
        mean: z.number(),
        expectedNet: z.number(),
        alpha: z.number(),
        beta: z.number(),
        share: z.number().describe('Share of Thompson draws this action won'),
        lostToNoAction: z.boolean().optional().describe('True for an action that passed every policy and check but lost to "no action" on its expected net value: only an exploring draw can choose it'),
      }),
    )
    .describe('The actions that passed every policy and check, with their posteriors'),
  noAction: z.object({ share: z.number() }).optional().describe('Share of Thompson draws "no action" (worth £0) won: an exploring decision offers nothing with this probability'),
});

export const ReasonCodeSchema = z.object({ code: z.string(), text: z.string() });

const ContributionSchema = z.object({ feature: z.string(), value: z.number().nullable(), contribution: z.number() });

export const WinnerSchema = z.object({
  actionId: z.string(),
  reasonCodes: z.array(ReasonCodeSchema),
  topContributions: z.array(ContributionSchema.extend({ label: z.string() })).describe('Top TreeSHAP contributions of the propensity model (empty on a prior)'),
  customerSentence: z.string(),
  targetedSupport: z.object({ group: z.string(), wording: z.string() }).optional(),
});

export const ExplanationSchema = z.object({
  excluded: z.array(z.object({ actionId: z.string(), kind: z.enum(EXCLUSION_KINDS), rule: z.string(), reason: z.string() })).describe('Every action that fell out, with the rule and the reason in plain words'),
  winner: WinnerSchema.optional(),
  noAction: z
    .object({ chosen: z.boolean(), reason: z.string() })
    .optional()
    .describe('"No action", the option worth £0: chosen when no action had a positive expected net value'),
});

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const CustomerViewSchema = z.object({
  id: z.string(),
  age: z.number().describe('Whole years at the decision time; -1 when unknown'),
  resident: z.boolean(),
  country: z.string(),
  timeZone: z.string(),
  riskTolerance: z.string(),
  riskLevel: z.number(),
  sophistication: z.string(),
  novice: z.boolean(),
  vulnerable: z.boolean(),
  vulnerabilityFlags: z.array(z.string()),
  holdings: z.array(z.string()),
  tenureDays: z.number(),
  segment: z.string(),
  horizon: z.string(),
  attributes: z.record(z.string(), Scalar),
});

export const ContactHistorySchema = z.object({
  contacts: z.array(z.object({ decisionId: z.string(), actionId: z.string(), family: z.string(), channel: z.string(), at: z.number(), sessionId: z.string().optional() })),
  declines: z.array(z.object({ actionId: z.string(), family: z.string(), at: z.number() })),
});

export const DecisionInputsSchema = z.object({
  customer: CustomerViewSchema,
  profile: z.record(z.string(), z.number().nullable()),
  profileVersion: z.string().nullable(),
  scores: z.record(z.string(), z.number()).describe('Customer-level scores (e.g. churn risk) rules read as `scores.*`'),
  consents: z.record(z.string(), z.boolean()),
  history: ContactHistorySchema,
  context: z.record(z.string(), Scalar),
  sessionId: z.string().nullable(),
  only: z
    .object({ actions: z.array(z.string()), families: z.array(z.string()) })
    .optional()
    .describe('The actions or families the decision was asked about (a trigger\'s `consider`); the rest were excluded by `scope`'),
});

const ExperimentTagSchema = z.object({
  experimentId: z.string(),
  arm: z.string(),
  kind: z.enum(['catalogue', 'levers', 'model', 'policy', 'holdout', 'bandit']),
  probability: z.number().describe('P(this arm | the customer is in the experiment), for off-policy evaluation'),
  inclusionProbability: z.number().describe('P(a customer is in the experiment at all)'),
  layer: z.string(),
});

/** The experiment arm a decision was made under (src/experiments/decide.ts builds it). */
export const DecisionExperimentSchema = ExperimentTagSchema.extend({
  heldOut: z.boolean().describe('A holdout arm or the universal control: nothing was chosen, nobody contacted'),
  levers: z.object({ families: z.record(z.string(), z.number()).optional(), actions: z.record(z.string(), z.number()).optional() }).optional(),
  treatment: z.object({ catalogueVersion: z.string().optional(), models: z.record(z.string(), z.string()).optional(), policy: z.string().optional() }).optional(),
  bandit: z.object({ budget: z.number() }).optional().describe('A `bandit` arm: explore with this budget on every channel'),
  others: z.array(ExperimentTagSchema).optional().describe('Experiments of other layers the customer is also in'),
  actionProbability: z.number().optional().describe('Random-policy arms, n = 1: the probability the chosen action had (1 / actions the selection accepted), for off-policy evaluation'),
});

/** The fields the whole record and its summary share. */
const Header = {
  formatVersion: z.literal(DECISION_FORMAT_VERSION),
  decisionId: z.string(),
  customerId: z.string(),
  channel: z.string(),
  decidedAt: z.string(),
  catalogueVersion: z.string(),
};

/** Everything needed to audit and replay one decision, as logged. */
export const DecisionRecordSchema = z.object({
  ...Header,
  n: z.number(),
  levers: Levers,
  inputs: DecisionInputsSchema,
  signals: z.record(z.string(), z.boolean()),
  models: z.record(z.string(), z.string()).describe('Model version per action scored by a model'),
  candidates: z.array(CandidateTraceSchema),
  capacityRefused: z.array(z.string()).describe('Capacity keys that were full when the decision was made (replay takes them as given)'),
  chosen: z.array(ChosenActionSchema),
  explanation: ExplanationSchema,
  experiment: DecisionExperimentSchema.optional(),
  bandit: BanditTraceSchema.optional().describe('Set when the bandit step chose (docs/bandits.md)'),
});

/** What a channel needs back from a decision; the whole record stays in the decision log. */
export const DecisionSummarySchema = z.object({
  ...Header,
  chosen: z.array(ChosenActionSchema),
  explanation: z.object({ winner: WinnerSchema.optional(), excludedCount: z.number() }),
  record: z.string().describe('Where the whole record (inputs, every candidate, every exclusion) can be read'),
});

/** A logged decision as `GET /v1/decisions/{id}` returns it: with the responses linked to it. */
export const LoggedDecisionSchema = DecisionRecordSchema.extend({
  responses: z.array(z.object({ actionId: z.string(), channel: z.string(), response: z.string(), at: z.string() })),
});

type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
/** Compile-time proof that the schemas agree with the interfaces other modules own (a type error otherwise). */
export type SchemasAgree = [
  Expect<Exact<(typeof EXCLUSION_KINDS)[number], ExclusionKind>>,
  Expect<Exact<z.infer<typeof ExclusionSchema>, Exclusion>>,
  Expect<Exact<z.infer<typeof CustomerViewSchema>, CustomerView>>,
  Expect<Exact<z.infer<typeof ContactHistorySchema>, ContactHistory>>,
  Expect<Exact<z.infer<typeof ContributionSchema>, Contribution>>,
];
