import { z } from 'zod';

/** ISO 4217 active currency codes (2024 list). Used by the data-quality check for unknown currency. */
export const ISO_4217 = new Set(
  (
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD ' +
    'CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL ' +
    'GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD ' +
    'KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR ' +
    'NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN ' +
    'SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG ' +
    'XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL'
  ).split(' '),
);

/**
 * Money as integer minor units (pence, cents) and an ISO 4217 code. The currency's
 * shape is checked here; whether it is a real ISO 4217 code is a data-quality rule
 * (`currency`) so the error names it precisely.
 */
export const Money = z
  .object({
    minor: z.number().int().refine(Number.isSafeInteger, 'must be a safe integer of minor units'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code'),
  })
  .strict();
export type Money = z.infer<typeof Money>;

/** £1 = 100 minor units for GBP, EUR, USD; the twin and the feature pack use GBP. */
export const gbp = (pounds: number): Money => ({ minor: Math.round(pounds * 100), currency: 'GBP' });
