/**
 * The demo's moment: a £50,000 deposit posted to the log turns into an investment suggestion
 * delivered on the customer's preferred channel (email, by signed webhook to a receiver in this
 * process standing in for the bank's email system), with the latency from the event accepted
 * to the webhook received.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER, IDEMPOTENCY_HEADER, type Engine } from '../index.js';

/** A local webhook receiver as docs/channels.md describes one: verifies, dedupes on the key, answers 200. */
export class DemoReceiver {
  readonly secret = randomBytes(32).toString('hex');
  private server: Server | undefined;
  private readonly waiting = new Map<string, (at: number) => void>();
  private readonly seen = new Set<string>();
  url = '';

  /** `now` is the clock the engine signs with (the demo's simulated time). */
  constructor(private readonly now: () => number) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.now();
        const body = Buffer.concat(chunks).toString();
        const why = verifyWebhook(this.secret, { signature: req.headers[SIGNATURE_HEADER] as string, timestamp: req.headers[TIMESTAMP_HEADER] as string }, body, this.now());
        if (why) return void res.writeHead(401).end(why);
        const key = req.headers[IDEMPOTENCY_HEADER] as string;
        res.writeHead(200).end('{}');
        if (this.seen.has(key)) return;
        this.seen.add(key);
        const customerId = (JSON.parse(body) as { customerId: string }).customerId;
        this.waiting.get(customerId)?.(at);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    // Never the reason the demo stays up: an error on the way must still let it exit.
    this.server.unref();
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/email`;
    return this.url;
  }

  /** Resolves with performance.now() when a delivery for the customer arrives (or undefined after `ms`). */
  next(customerId: string, ms: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const t = setTimeout(() => (this.waiting.delete(customerId), resolve(undefined)), ms);
      this.waiting.set(customerId, (at) => (clearTimeout(t), this.waiting.delete(customerId), resolve(at)));
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

/** Customers a £50,000 deposit could suit: no flags, no investments, a medium or high risk tolerance, a cash buffer and an income that covers outgoings; at most `max`, free to contact now. */
async function candidates(engine: Engine, exclude: ReadonlySet<string>, max = 8): Promise<string[]> {
  const out: string[] = [];
  let batch: string[] = [];
  for (const c of await engine.stores.customers.list({ limit: 5000 })) {
    if (exclude.has(c.customerId) || c.vulnerabilityFlags.length > 0 || c.holdings.includes('isa') || c.holdings.includes('investment')) continue;
    if (c.riskTolerance !== 'medium' && c.riskTolerance !== 'high') continue;
    if (!c.consents.marketing || !c.consents.personalised_offers) continue;
    const f = (await engine.profile(c.customerId)).features;
    const v = (k: string) => f[k]?.value ?? Number.NaN;
    if (!(v('current_balance_avg_30d') + (Number.isNaN(v('savings_balance_avg_90d')) ? 0 : v('savings_balance_avg_90d')) >= 3000)) continue;
    if (!(v('income_90d') > 0 && v('income_90d') / 3 >= v('monthly_outgoings'))) continue;
    if (v('overdraft_days_90d') >= 10 || v('hardship_contacts_365d') >= 1 || v('loan_repayments_missed_365d') >= 1) continue;
    batch.push(c.customerId);
    if (batch.length === 20) {
      out.push(...(await freeToContact(engine, batch)));
      batch = [];
      if (out.length >= max) break;
    }
  }
  if (batch.length > 0 && out.length < max) out.push(...(await freeToContact(engine, batch)));
  return out.slice(0, max);
}

/**
 * Those of `ids` whom a contact cap does not hold back from an investment suggestion by email
 * now (a dry run, nothing logged or counted): the demo's own decisions earlier may have used a
 * customer's contact for the week, and the moment should show a delivery, not a cap.
 */
async function freeToContact(engine: Engine, ids: readonly string[]): Promise<string[]> {
  const requests = ids.map((customerId) => ({ customerId, channel: 'email' as const, n: 1, context: {}, only: { actions: [], families: ['investment'] } }));
  const run = await engine.dryRunCatalogue(engine.catalogue.catalogue, requests);
  // A cap used this week, or marketing consent withdrawn since the record was written (a consent_change event).
  return run.customers.filter((c) => !c.current.excluded.some((x) => x.kind === 'contact' || x.kind === 'consent')).map((c) => c.customerId);
}

/** Posts the deposit for up to a few suitable customers until one is delivered; prints what happened and the latency. */
export async function showLargeDeposit(engine: Engine, receiver: DemoReceiver, exclude: ReadonlySet<string>, say: (s: string) => void): Promise<void> {
  say('');
  say('a moment: a £50,000 deposit (trigger large_deposit_investment, catalogue/triggers.yaml)');
  // The trigger consumer follows the whole log once after a bulk load; the moment is timed from a caught-up engine, as a live one is.
  await engine.consumers.caughtUp(120_000);
  for (const customerId of await candidates(engine, exclude)) {
    const record = (await engine.customer(customerId))!;
    // The customer prefers email; the demo's email system is the local webhook receiver.
    await engine.upsertCustomers([{ ...record, preferredChannel: 'email' }]);
    const before = (await engine.profile(customerId)).features.idle_cash?.value ?? 0;
    const arrived = receiver.next(customerId, 5_000);
    const t0 = performance.now();
    const eventId = `demo-deposit-${customerId}`;
    await engine.ingest([{ eventId, customerId, occurredAt: new Date(engine.clock.now()).toISOString(), schemaVersion: 1, type: 'deposit', payload: { amount: { minor: 5_000_000, currency: 'GBP' }, method: 'online' } }], { source: 'demo' });
    const at = await arrived;
    const after = (await engine.profile(customerId)).features.idle_cash?.value ?? 0;
    let fire = (await engine.triggers.fires({ customerId, limit: 1 }))[0];
    // Still deciding after the receiver gave up waiting: say how long it took rather than call it unsuitable.
    for (let k = 0; k < 250 && fire?.outcome.status === 'pending'; k++) {
      await new Promise((r) => setTimeout(r, 100));
      fire = (await engine.triggers.fires({ customerId, limit: 1 }))[0];
    }
    if (at === undefined && fire?.outcome.status === 'decided') {
      say(`  ${customerId}: decided ${fire.outcome.actionIds[0]} on ${fire.outcome.channel} but not delivered within 5 s (${((performance.now() - t0) / 1000).toFixed(1)} s after the event was accepted); trying another customer`);
      continue;
    }
    if (at === undefined || fire?.outcome.status !== 'decided') {
      say(`  ${customerId}: idle cash £${Math.round(before)} → £${Math.round(after)}; nothing suitable to suggest (${fire?.outcome.status ?? 'no fire'}), trying another customer`);
      continue;
    }
    const key = `${fire.outcome.decisionId}:${fire.outcome.actionIds[0]}:${fire.outcome.channel}`;
    const entry = await engine.deliveries.get(key);
    say(`  ${customerId}: idle cash £${Math.round(before).toLocaleString('en-GB')} → £${Math.round(after).toLocaleString('en-GB')} at once (balances estimated from the deposit before the next snapshot)`);
    say(`  → ${fire.outcome.actionIds[0]} ("${String(entry.message.headline)}") delivered on ${fire.outcome.channel}, the customer's preferred channel, by signed webhook`);
    say(`  latency, event accepted → webhook received: ${(at - t0).toFixed(1)} ms   [decision ${fire.outcome.decisionId}; GET /v1/deliveries/${encodeURIComponent(key)}]`);
    return;
  }
  say('  no customer in this bank suits an investment suggestion now (try more --customers)');
}
