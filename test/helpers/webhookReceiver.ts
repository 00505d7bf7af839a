import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../src/channels/webhook.js';

/** What the receiver does with one request: answer 200 (at once or after 30 ms), answer 500, apply then answer 500, apply then hang, hang, or drop the connection. */
export type ReceiverMode = 'ok' | 'slow' | '500' | 'apply_then_500' | 'apply_then_hang' | 'hang' | 'destroy';

/**
 * A bank's webhook receiver as docs/channels.md tells it to be: it verifies the signature
 * and the timestamp, and applies each idempotency key's effect once, however often the key
 * arrives. `mode` picks a fault per request, so tests can make it fail in every way.
 */
export class WebhookReceiver {
  /** Effects applied per key: must end at exactly 1 each. */
  readonly effects = new Map<string, number>();
  /** Requests seen per key (with a good signature). */
  readonly requests = new Map<string, number>();
  readonly refused: string[] = [];
  private server: Server | undefined;
  private readonly hung = new Set<import('node:http').ServerResponse>();
  port = 0;

  constructor(private readonly secret: string, public mode: (n: number) => ReceiverMode = () => 'ok') {}

  private n = 0;

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const why = verifyWebhook(this.secret, { signature: req.headers['x-nextbest-signature'] as string, timestamp: req.headers['x-nextbest-timestamp'] as string }, body, Date.now());
        if (why) {
          this.refused.push(why);
          res.writeHead(401).end();
          return;
        }
        const key = req.headers['idempotency-key'] as string;
        this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
        const mode = this.mode(this.n++);
        const apply = () => {
          // The receiver's dedupe: an effect per key, once (a real one keeps keys for longer than the signature tolerance).
          if (!this.effects.has(key)) this.effects.set(key, 0);
          if (this.effects.get(key) === 0) this.effects.set(key, 1);
        };
        switch (mode) {
          case 'ok':
            apply();
            res.writeHead(200).end('{}');
            return;
          case 'slow':
            apply();
            setTimeout(() => res.writeHead(200).end('{}'), 30);
            return;
          case '500':
            res.writeHead(500).end();
            return;
          case 'apply_then_500':
            apply();
            res.writeHead(500).end();
            return;
          case 'apply_then_hang':
            apply();
            this.hung.add(res);
            return;
          case 'hang':
            this.hung.add(res);
            return;
          case 'destroy':
            req.socket.destroy();
            return;
        }
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** The receiver dies: the port refuses connections until `start(port)` again. */
  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.hung.clear();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
