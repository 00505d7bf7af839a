/**
 * One registry of error codes. Each code has its HTTP status and a documented meaning;
 * test/core/errors.test.ts fails when a code is added without both.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 422, meaning: 'The input broke a schema or data-quality rule; `details.issues` names each field and rule.' },
  MALFORMED_JSON: { status: 400, meaning: 'The request body is not valid JSON; the message says where parsing stopped.' },
  BAD_REQUEST: { status: 400, meaning: 'The request is malformed in a way other than its JSON (e.g. a bad query parameter).' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The Content-Type is not one this endpoint accepts (application/json).' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The body is larger than the server accepts, or a batch has too many items.' },
  NOT_FOUND: { status: 404, meaning: 'The resource (customer, route, model, decision) does not exist.' },
  CONFLICT: { status: 409, meaning: 'An idempotency key was reused with different content, or a catalogue edit lost to another made since the version it was based on.' },
  GONE: { status: 410, meaning: 'The customer was erased (GDPR Art. 17); their data is no longer held.' },
  UNAUTHORIZED: { status: 401, meaning: 'No valid credentials were sent.' },
  FORBIDDEN: { status: 403, meaning: 'The credentials are valid but lack the scope the route needs.' },
  RATE_LIMITED: { status: 429, meaning: 'Too many requests from this caller or for this customer; retry after the Retry-After seconds.' },
  JSON_TOO_DEEP: { status: 400, meaning: 'The JSON body nests arrays and objects deeper than the server accepts.' },
  NOT_READY: { status: 503, meaning: 'The engine is starting or shutting down and cannot take requests.' },
  CONSUMER_LAG: { status: 503, meaning: 'Derived state (features, response links, cool-downs) did not catch up with the customer\'s latest event in time; retry shortly.' },
  STORE_WRITE_FAILED: { status: 503, meaning: 'A store refused a write (disk full, I/O error, read-only); nothing of the request was kept. Retry later.' },
  DATA_DIR_LOCKED: { status: 503, meaning: 'Another process holds the data dir (one process per data dir); the message names it.' },
  FEDERATION_FAILED: { status: 503, meaning: 'Federated training could not finish: too few participants were left for a masked sum; nothing was registered.' },
  CONFIG_INVALID: { status: 500, meaning: 'The configuration file or options broke the config schema.' },
  INTERNAL: { status: 500, meaning: 'A bug: the server failed on input it should have handled. Reported with a request id.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One broken rule on one field, as reported to a caller. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `payload.amount.minor`; empty for the whole item. */
  field: string;
  /** Short stable name of the rule, e.g. `required`, `type`, `sign`, `currency`, `future_timestamp`. */
  rule: string;
  message: string;
}

/** Base of all expected failures: carries a stable code and optional details. */
export class NextbestError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'NextbestError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** Input that broke one or more rules. */
export class ValidationError extends NextbestError {
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[], message?: string) {
    super('VALIDATION_FAILED', message ?? describeIssues(issues), { issues });
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** `field: message (rule)` joined, for one-line error messages. */
export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.field || '(item)'}: ${i.message} (${i.rule})`).join('; ');
}

/** HTTP status for a code. */
export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** For `switch` statements over unions: a compile error when a case is missing. */
export function assertUnreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
