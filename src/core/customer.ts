import { z } from 'zod';
import { Channel, ConsentPurpose } from './events.js';

/** Vulnerability drivers as the FCA names them (FG21/1): health, life events, resilience, capability. */
export const VulnerabilityFlag = z.enum(['health', 'life_event', 'low_resilience', 'low_capability', 'bereavement', 'financial_difficulty']);

/** A customer record: attributes that are not events. Upserted through its own endpoint. */
export const Customer = z
  .object({
    customerId: z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'may hold letters, digits and . _ : @ -'),
    dateOfBirth: z.iso.date({ message: 'must be a date YYYY-MM-DD' }).optional(),
    region: z.string().min(1).max(64).optional(),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code').default('GB'),
    timeZone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-GB', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone, e.g. Europe/London')
      .default('Europe/London'),
    riskTolerance: z.enum(['none', 'low', 'medium', 'high']).optional(),
    financialSophistication: z.enum(['novice', 'intermediate', 'experienced']).optional(),
    vulnerabilityFlags: z.array(VulnerabilityFlag).max(10).default([]),
    preferredChannel: Channel.optional(),
    residentInCountry: z.boolean().default(true),
    customerSince: z.iso.date({ message: 'must be a date YYYY-MM-DD' }).optional(),
    holdings: z.array(z.string().regex(/^[a-z0-9_]{1,40}$/)).max(50).default([]).describe('Product families held, e.g. current_account, credit_card, isa.'),
    consents: z.partialRecord(ConsentPurpose, z.boolean()).default({}).describe('Initial consents by purpose; later changes arrive as consent_change events.'),
    attributes: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/), z.union([z.string().max(200), z.number().finite(), z.boolean()])).default({}),
  })
  .strict();
export type Customer = z.infer<typeof Customer>;
export type CustomerInput = z.input<typeof Customer>;

/** Whole years from a date of birth (YYYY-MM-DD) to `now` (ms, UTC). */
export function ageAt(dateOfBirth: string, now: number): number {
  const d = new Date(now);
  const [y, m, day] = dateOfBirth.split('-').map(Number) as [number, number, number];
  let years = d.getUTCFullYear() - y;
  if (d.getUTCMonth() + 1 < m || (d.getUTCMonth() + 1 === m && d.getUTCDate() < day)) years--;
  return years;
}

/** The age bands the fairness audits group by (models and decisions alike); a negative age (unknown) is its own band. */
export function ageBand(age: number): string {
  if (age < 0) return 'unknown';
  if (age < 25) return '18-24';
  if (age < 35) return '25-34';
  if (age < 45) return '35-44';
  if (age < 55) return '45-54';
  if (age < 65) return '55-64';
  return '65+';
}
