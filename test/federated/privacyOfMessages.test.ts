import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainFederated, type ParticipantLink } from '../../src/federated/coordinator.js';
import { decode } from '../../src/federated/fixedPoint.js';
import { roundKeys } from '../../src/federated/masks.js';
import { httpLink } from '../../src/federated/transport.js';
import { startBanks, syntheticBank, TOKEN } from './helpers.js';

const banks = [syntheticBank(700, 11, -0.3), syntheticBank(500, 12, 0.2), syntheticBank(800, 13, 0.6)];
let net: Awaited<ReturnType<typeof startBanks>>;
beforeAll(async () => {
  net = await startBanks(banks);
});
afterAll(async () => net.close());

interface Captured {
  participant: string;
  route: string;
  reply: unknown;
}

/** Wraps links so every reply the coordinator receives is kept. */
function capturing(links: readonly ParticipantLink[], log: Captured[]): ParticipantLink[] {
  return links.map((l) => ({
    name: l.name,
    bytes: l.bytes,
    async call(route, body) {
      const reply = await l.call(route, body);
      log.push({ participant: l.name, route, reply: JSON.parse(JSON.stringify(reply)) });
      return reply;
    },
  }));
}

function numbersIn(x: unknown, out: number[] = []): number[] {
  if (typeof x === 'number') out.push(x);
  else if (Array.isArray(x)) for (const v of x) numbersIn(v, out);
  else if (x && typeof x === 'object') for (const v of Object.values(x)) numbersIn(v, out);
  return out;
}

describe('what the coordinator receives', () => {
  it('never a row, never an unmasked histogram: every masked vector alone decodes to noise, the sums to the model', async () => {
    const log: Captured[] = [];
    const result = await trainFederated(capturing(net.links, log), { params: { rounds: 6, max_depth: 3, maxBin: 32 } });
    expect(result.rounds).toBe(6);
    const routes = new Set(log.map((c) => c.route));
    expect([...routes].sort()).toEqual(['aggregate', 'begin', 'finish', 'hello', 'keys', 'setup', 'sketch', 'tree']);

    // Every training value of every bank (non-integers: the integers in replies are counts).
    const dataValues = new Set<number>();
    for (const b of banks) for (const v of b.train.values) if (Number.isFinite(v) && !Number.isInteger(v * 2)) dataValues.add(v);
    let masked = 0;
    for (const c of log) {
      if (c.route === 'aggregate') {
        const r = c.reply as { masked: string; words: number };
        const buf = Buffer.from(r.masked, 'base64');
        const alone = decode(new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)));
        // A histogram cell is at most a few thousand; a masked cell is uniform over ±2^63.
        const small = alone.filter((v) => Math.abs(v) < 1e6).length;
        expect(small, `${c.participant} sent ${small} unmasked-looking cells`).toBe(0);
        masked++;
        continue;
      }
      if (c.route === 'sketch') {
        // Quantile summaries: at most maxBin * 8 entries per feature, fewer than the rows.
        const s = c.reply as { summaries: { value: number[] }[] };
        for (const f of s.summaries) expect(f.value.length).toBeLessThanOrEqual(32 * 8);
        continue;
      }
      for (const v of numbersIn(c.reply)) expect(dataValues.has(v), `${c.route} from ${c.participant} carries a data value ${v}`).toBe(false);
    }
    expect(masked).toBeGreaterThan(3 * 6);
  });

  it('with supplied cuts no reply carries any value of the data at all', async () => {
    const log: Captured[] = [];
    const cuts = Array.from({ length: 6 }, () => Float64Array.from([-1, -0.5, 0, 0.5, 1, 100]));
    await trainFederated(capturing(net.links, log), { params: { rounds: 3, max_depth: 3 }, cuts });
    expect(log.some((c) => c.route === 'sketch')).toBe(false);
    const dataValues = new Set<number>();
    for (const b of banks) for (const v of b.train.values) if (Number.isFinite(v) && !Number.isInteger(v * 2)) dataValues.add(v);
    for (const c of log) if (c.route !== 'aggregate') for (const v of numbersIn(c.reply)) expect(dataValues.has(v)).toBe(false);
  });

  it('a reply with a field outside its schema (a place rows could hide) is refused', async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ participant: 'bank-x', protocol: 1, features: ['x0'], label: 'y', rows: 1, testRows: 0, sample: [[0.1, 0.2]] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const link = httpLink({ name: 'bank-x', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: TOKEN });
    await expect(link.call('hello', { session: 'session-x1', protocol: 1 })).rejects.toThrow(/sample/);
    server.close();
  });

  it('a participant refuses to send a vector that a sum would not hide', async () => {
    const p = net.participants[0]!;
    p.setup({ session: 'refuse-test', settings: { objective: 'binary:logistic', maxBin: 8 }, cuts: Array.from({ length: 6 }, () => [0, 1]), noiseShare: 0, minParticipants: 2 });
    const { publicKey } = p.keys({ session: 'refuse-test', round: -1, attempt: 0 });
    const ask = (peers: Record<string, string>, step: number) => () => p.aggregate({ session: 'refuse-test', round: -1, attempt: 0, step, peers, signatures: {}, kind: 'stats', splits: [], nodes: [], noiseShare: 0 });
    expect(ask({ 'bank-a': publicKey }, 0)).toThrow(/min_participants/);
    expect(ask({ 'bank-a': 'A'.repeat(43), 'bank-b': publicKey }, 0)).toThrow(/own_key/);
    const other = roundKeys().publicKey;
    expect(ask({ 'bank-a': publicKey, 'bank-b': other }, 0)().words).toBe(2 * 4);
    // The same step again would reuse the mask: the difference of two replies would be the difference of the vectors.
    expect(ask({ 'bank-a': publicKey, 'bank-b': other }, 0)).toThrow(/fresh/);
    expect(ask({ 'bank-a': publicKey, 'bank-c': roundKeys().publicKey }, 1)).toThrow(/fixed/);
  });
});
