import { afterEach, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { recipientOf, SmtpAdapter } from '../../src/channels/smtp.js';
import type { OutboxEntry } from '../../src/store/outbox.js';

/** The email adapter against a real SMTP server in this process (the `smtp-server` package as the bank's relay). */
interface Received {
  to: string[];
  raw: string;
}

let server: SMTPServer | undefined;
let adapter: SmtpAdapter | undefined;
afterEach(async () => {
  adapter?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  adapter = undefined;
});

async function relay(refuse?: (to: string) => number | undefined): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(address, _session, cb) {
      const code = refuse?.(address.address);
      if (code) return cb(Object.assign(new Error(`refused ${address.address}`), { responseCode: code }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server.server.address() as AddressInfo).port, received };
}

const entry = (customerId: string): OutboxEntry => ({
  key: `d-1:ts_invest_balanced:email`,
  decisionId: 'd-1',
  actionId: 'ts_invest_balanced',
  customerId,
  channel: 'email',
  worklist: '',
  message: { headline: 'Could your cash work harder?', body: 'Customers like you often choose a balanced fund in an ISA.', disclosure: 'Capital at risk.' },
  createdAt: 0,
  status: 'leased',
  attempts: 1,
  dueAt: 0,
  leasedBy: 'x',
  leaseUntil: 1,
  lastError: null,
  settledAt: null,
});

describe('SMTP adapter', () => {
  it('sends one message to <customerId>@relay with the headline as subject, the body and disclosure, and the idempotency key', async () => {
    const { port, received } = await relay();
    adapter = new SmtpAdapter({ host: '127.0.0.1', port, from: 'offers@bank.example', recipientDomain: 'relay.bank.example', rejectUnauthorized: false });
    expect(await adapter.send(entry('C-1001'), AbortSignal.timeout(5000))).toEqual({ ok: true });
    expect(received).toHaveLength(1);
    expect(received[0]!.to).toEqual(['C-1001@relay.bank.example']);
    expect(received[0]!.raw).toContain('Subject: Could your cash work harder?');
    expect(received[0]!.raw).toContain('Capital at risk.');
    expect(received[0]!.raw).toContain('X-Nextbest-Idempotency-Key: d-1:ts_invest_balanced:email');
    expect(received[0]!.raw).toMatch(/Message-ID: <d-1\.ts_invest_balanced\.email@nextbest>/i);
  });

  it('a 5xx refusal is final, a 4xx is retried, a relay that is down is retried', async () => {
    const { port } = await relay((to) => (to.startsWith('gone') ? 550 : to.startsWith('busy') ? 451 : undefined));
    adapter = new SmtpAdapter({ host: '127.0.0.1', port, from: 'offers@bank.example', recipientDomain: 'relay.bank.example', rejectUnauthorized: false });
    expect(await adapter.send(entry('gone'), AbortSignal.timeout(5000))).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('550') });
    expect(await adapter.send(entry('busy'), AbortSignal.timeout(5000))).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('451') });
    const down = new SmtpAdapter({ host: '127.0.0.1', port: 1, from: 'offers@bank.example', recipientDomain: 'relay.bank.example', timeoutMs: 2000 });
    expect(await down.send(entry('c1'), AbortSignal.timeout(5000))).toMatchObject({ ok: false, retryable: true });
    down.close();
  });

  it('an id with characters an address cannot hold is encoded, not passed through', () => {
    expect(recipientOf('C:10@01', 'relay.example')).toBe('C=3A10=4001@relay.example');
  });
});
