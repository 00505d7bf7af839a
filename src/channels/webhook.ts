/**
 * The webhook adapter: the generic way into a bank's own push, CRM and agent-desktop
 * systems. Each entry is an HTTP POST of JSON, signed with HMAC-SHA256 over
 * `timestamp + '.' + body` (the scheme Stripe and Slack use), so the receiver can check it
 * came from nextbest and is fresh; docs/channels.md says how a receiver verifies it and
 * refuses replays. 2xx is delivered; 408, 425, 429 and 5xx, a timeout or a dropped
 * connection are retried; any other status is refused for good (dead-lettered).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { OutboxEntry } from '../store/outbox.js';
import type { AttemptResult, PushAdapter } from './adapter.js';

export const SIGNATURE_HEADER = 'x-nextbest-signature';
export const TIMESTAMP_HEADER = 'x-nextbest-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export interface WebhookOptions {
  /** The channel this webhook serves (push, sms, call_centre …). */
  readonly channel: string;
  readonly url: string;
  /** The shared secret (at least 32 bytes); rotate by running two webhooks while receivers accept both. */
  readonly secret: string;
  /** Per request (ms). */
  readonly timeoutMs?: number;
  /** Epoch ms: the signed timestamp. */
  readonly clock: () => number;
  /** How a POST is made (tests, proxies); node:http(s) with kept-alive connections by default. */
  readonly transport?: WebhookTransport;
}

/** Makes one POST and resolves with the status; rejects on a network error or when `signal` aborts. */
export type WebhookTransport = (url: string, body: string, headers: Record<string, string>, signal: AbortSignal) => Promise<number>;

/**
 * POST over node:http(s) with kept-alive connections: several times the throughput of the
 * global fetch to the same receiver on this project's machine (docs/channels.md).
 */
export function keepAliveTransport(maxSockets = 64): WebhookTransport {
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets }), https: new HttpsAgent({ keepAlive: true, maxSockets }) };
  return (url, body, headers, signal) =>
    new Promise<number>((resolve, reject) => {
      const u = new URL(url);
      const secure = u.protocol === 'https:';
      const req = (secure ? httpsRequest : httpRequest)(u, { method: 'POST', agent: secure ? agents.https : agents.http, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal }, (res) => {
        // Drain the body so the connection is reused.
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
}

/** The signature of a body at a timestamp (seconds): hex HMAC-SHA256 of `timestamp.body`. */
export function webhookSignature(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}

/** Why a receiver refuses a delivery, or undefined when it is genuine and fresh. */
export function verifyWebhook(secret: string, headers: { signature?: string | undefined; timestamp?: string | undefined }, body: string, nowMs: number, toleranceSeconds = 300): string | undefined {
  const ts = Number(headers.timestamp);
  if (!headers.timestamp || !Number.isInteger(ts)) return 'missing or malformed timestamp';
  if (Math.abs(nowMs / 1000 - ts) > toleranceSeconds) return 'timestamp outside the tolerance (a replay or a skewed clock)';
  const want = Buffer.from(webhookSignature(secret, ts, body), 'hex');
  const got = Buffer.from(/^v1=([0-9a-f]{64})$/.exec(headers.signature ?? '')?.[1] ?? '', 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad signature';
  return undefined;
}

/** The JSON a webhook carries for one entry. */
export function webhookBody(e: OutboxEntry): string {
  return JSON.stringify({ idempotencyKey: e.key, decisionId: e.decisionId, actionId: e.actionId, customerId: e.customerId, channel: e.channel, worklist: e.worklist || undefined, attempt: e.attempts, message: e.message });
}

const RETRYABLE = new Set([408, 425, 429]);

/** A channel delivered by signed HTTP POST. */
export class WebhookAdapter implements PushAdapter {
  readonly channel: string;
  private readonly transport: WebhookTransport;

  constructor(private readonly o: WebhookOptions) {
    if (Buffer.byteLength(o.secret) < 32) throw new Error(`webhook ${o.channel}: the secret must be at least 32 bytes`);
    this.channel = o.channel;
    this.transport = o.transport ?? keepAliveTransport();
  }

  async send(entry: OutboxEntry, signal: AbortSignal): Promise<AttemptResult> {
    const body = webhookBody(entry);
    const ts = Math.floor(this.o.clock() / 1000);
    const timeout = AbortSignal.timeout(this.o.timeoutMs ?? 5_000);
    try {
      const headers = { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: `v1=${webhookSignature(this.o.secret, ts, body)}`, [IDEMPOTENCY_HEADER]: entry.key };
      const status = await this.transport(this.o.url, body, headers, AbortSignal.any([signal, timeout]));
      if (status >= 200 && status < 300) return { ok: true };
      return { ok: false, retryable: status >= 500 || RETRYABLE.has(status), error: `HTTP ${status}` };
    } catch (e) {
      const err = e as Error;
      const why = timeout.aborted ? `timed out after ${this.o.timeoutMs ?? 5_000} ms` : `${err.name}: ${err.message}`;
      return { ok: false, retryable: true, error: why };
    }
  }
}
