/** The behavioural profile as a zod schema: the source of the `Profile` type and of the API's documentation of it. */
import { z } from 'zod';

export const ProfileFeatureSchema = z.object({
  value: z.number().nullable().describe('The value as of `asOf`; null when there is none (e.g. a mean over no events).'),
  unit: z.string().nullable(),
  asOf: z.string(),
  lastEventAt: z.string().nullable().describe("The latest event the feature's aggregate has seen; null for derived features or none."),
  scope: z
    .literal('market')
    .optional()
    .describe('Present on market-scope features: computed once from the global market events (not this customer\'s), as of `asOf`, the same for every customer.'),
});

/** A customer's behavioural profile at one as-of time. */
export const ProfileSchema = z.object({
  customerId: z.string(),
  asOf: z.string(),
  latestEventAt: z.string().nullable().describe('The latest event applied for this customer (the default as-of); null before any.'),
  definitionsVersion: z.string(),
  features: z.record(z.string(), ProfileFeatureSchema),
});

export type ProfileFeature = z.infer<typeof ProfileFeatureSchema>;
export type Profile = z.infer<typeof ProfileSchema>;
