/** The model scores of a profile as a zod schema: what the API documents and its tests parse. */
import { z } from 'zod';
import { ACTIVITY_STATES, STRESS_STATES } from '../models/markov/states.js';
import type { ProfileScores } from './serving.js';

export const ProfileScoresSchema = z.object({
  segment: z
    .object({
      id: z.number(),
      name: z.string(),
      model: z.string(),
      peers: z
        .object({
          size: z.number(),
          insights: z.array(z.object({ feature: z.string(), label: z.string(), value: z.number(), percentile: z.number(), peerMedian: z.number(), sentence: z.string() })),
        })
        .optional()
        .describe('How the customer compares with their segment ("customers like you")'),
    })
    .nullable(),
  churn: z
    .object({
      probability: z.number(),
      horizonDays: z.number(),
      model: z.string(),
      survival: z.array(z.object({ horizonDays: z.number(), risk: z.number().nullable() })).optional(),
      survivalModel: z.string().optional(),
    })
    .nullable()
    .describe('90-day churn probability, and Cox risks at 30/90/365 days when a survival model is served'),
  prepayment: z.object({ probability: z.number(), horizonDays: z.number(), model: z.string() }).nullable(),
  clv: z.object({ value: z.number(), probabilityAlive: z.number(), expectedPurchaseDays: z.number(), currency: z.literal('GBP'), horizonMonths: z.number(), model: z.string() }).nullable(),
  activity: z
    .object({ state: z.enum(ACTIVITY_STATES), pDormant90d: z.number(), horizonDays: z.number(), model: z.string() })
    .nullable()
    .describe('Activity state from the profile and the chance of being dormant within the horizon (the Markov activity chain)'),
  stress: z.object({ state: z.enum(STRESS_STATES), basis: z.string() }),
  retention: z
    .object({ leavingGivenTakeUp: z.number(), takeUp: z.number(), churnRisk: z.number(), model: z.string() })
    .nullable()
    .describe('Retention take-up at the served churn risk and the chance a customer taking it up was leaving (the stayers/leavers mixture); null without a mixture or a churn risk'),
  propensities: z.record(z.string(), z.object({ probability: z.number(), model: z.string() })).describe('Per action family'),
});

type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
/** Compile-time proof that the schema and `ProfileScores` (serving.ts) agree: a type error when one changes alone. */
export type ScoresSchemaAgrees = Expect<Exact<z.infer<typeof ProfileScoresSchema>, ProfileScores>>;
