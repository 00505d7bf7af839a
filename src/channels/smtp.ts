/**
 * The email adapter: one message per outbox entry over SMTP (nodemailer, pooled
 * connections). nextbest holds no email addresses: it sends to `<customerId>@recipientDomain`
 * on the bank's own relay, which maps the id to the customer's address (and applies the
 * bank's suppression lists). The idempotency key travels as the Message-ID and an
 * `X-Nextbest-Idempotency-Key` header, so the relay drops a repeat after a retry.
 * A 4xx reply or a dropped connection is retried; a 5xx reply is refused for good.
 */
import nodemailer from 'nodemailer';
import type { OutboxEntry } from '../store/outbox.js';
import type { AttemptResult, PushAdapter } from './adapter.js';

export interface SmtpOptions {
  readonly host: string;
  readonly port: number;
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  readonly secure?: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
  readonly from: string;
  readonly recipientDomain: string;
  readonly timeoutMs?: number;
  /** Refuse a server whose certificate does not verify (default true; tests against a local server turn it off). */
  readonly rejectUnauthorized?: boolean;
  /** The channel it serves (default `email`). */
  readonly channel?: string;
}

/** A customer id as the local part of an address: ids hold letters, digits and . _ : @ -, and `:`/`@` are not allowed there. */
export function recipientOf(customerId: string, domain: string): string {
  return `${customerId.replace(/[^A-Za-z0-9._-]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}@${domain}`;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Email over SMTP. */
export class SmtpAdapter implements PushAdapter {
  readonly channel: string;
  private readonly transport;

  constructor(private readonly o: SmtpOptions) {
    this.channel = o.channel ?? 'email';
    const timeout = o.timeoutMs ?? 10_000;
    this.transport = nodemailer.createTransport({
      host: o.host,
      port: o.port,
      secure: o.secure ?? false,
      pool: true,
      maxConnections: 4,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      tls: { rejectUnauthorized: o.rejectUnauthorized ?? true },
      ...(o.auth ? { auth: { user: o.auth.user, pass: o.auth.pass } } : {}),
    });
  }

  async send(entry: OutboxEntry, signal: AbortSignal): Promise<AttemptResult> {
    if (signal.aborted) return { ok: false, retryable: true, error: 'aborted before sending' };
    const m = entry.message;
    const body = [text(m.body), text(m.disclosure)].filter(Boolean).join('\n\n');
    try {
      await this.transport.sendMail({
        from: this.o.from,
        to: recipientOf(entry.customerId, this.o.recipientDomain),
        subject: text(m.headline) || 'A suggestion from your bank',
        text: body,
        messageId: `<${entry.key.replace(/[^A-Za-z0-9._-]/g, '.')}@nextbest>`,
        headers: { 'X-Nextbest-Idempotency-Key': entry.key, 'X-Nextbest-Decision': entry.decisionId },
      });
      return { ok: true };
    } catch (e) {
      const err = e as Error & { responseCode?: number };
      const code = err.responseCode;
      // 5xx: the relay refused the message for good (unknown recipient, policy); anything else may pass later.
      if (code !== undefined && code >= 500) return { ok: false, retryable: false, error: `SMTP ${code}: ${err.message}` };
      return { ok: false, retryable: true, error: code !== undefined ? `SMTP ${code}: ${err.message}` : err.message };
    }
  }

  /** Closes the pooled connections. */
  close(): void {
    this.transport.close();
  }
}
