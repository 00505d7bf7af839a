/**
 * What a caller may do. Each HTTP route declares the scope it needs; an API key or a
 * bearer token carries a set of scopes. `admin` grants every scope.
 */
export const SCOPES = [
  'events:write',
  'decisions:write',
  'profiles:read',
  'customers:admin',
  'privacy',
  'catalogue:write',
  'models:write',
  'experiments:write',
  'audit:read',
  'deliveries:write',
  'admin',
] as const;

export type Scope = (typeof SCOPES)[number];

/** What each scope allows, for `nextbest keys`, the docs and README. */
export const SCOPE_MEANING: Record<Scope, string> = {
  'events:write': 'send events (POST /v1/events) and read the ingestion quarantine',
  'decisions:write': 'ask for decisions (POST /v1/decisions) and read the catalogue they draw on',
  'profiles:read': "read customer records, events, behavioural profiles and feature definitions",
  'customers:admin': 'create and replace customer records',
  privacy: 'erase customers (GDPR Art. 17) and export their data',
  'catalogue:write': 'change actions and business levers',
  'models:write': 'promote and roll back models, run drift checks',
  'experiments:write': 'create and change experiments',
  'audit:read': 'read logged decisions, replays, model cards, drift and the audit trail',
  'deliveries:write': 'claim and acknowledge pull-channel deliveries (as decisions:write may) and retry dead-lettered deliveries',
  admin: 'everything, including API keys',
};

/** True when a caller holding `held` may use a route that accepts any of `needed`. */
export function grants(held: ReadonlySet<Scope>, needed: readonly Scope[]): boolean {
  if (held.has('admin')) return true;
  return needed.some((s) => held.has(s));
}

/** Narrows a string to a scope. */
export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}
