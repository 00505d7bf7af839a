import { describe, expect, it } from 'vitest';
import { trainFederated } from '../../src/federated/coordinator.js';
import { Participant } from '../../src/federated/participant.js';
import type { RequestOf } from '../../src/federated/protocol.js';
import { httpLink, serveParticipant, type ParticipantServer } from '../../src/federated/transport.js';
import { predictBatch, train } from '../../src/models/gbdt/index.js';
import { NextbestError } from '../../src/core/errors.js';
import { pooled, syntheticBank, TOKEN } from './helpers.js';

const banks = [syntheticBank(800, 21, -0.4), syntheticBank(600, 22, 0.1), syntheticBank(900, 23, 0.5)];
const names = ['bank-a', 'bank-b', 'bank-c'];
const cuts = Array.from({ length: 6 }, (_, f) => Float64Array.from(f === 3 ? [-1, -0.5, 0, 0.5, 1, 1.5, 9] : [-1.5, -1, -0.5, 0, 0.5, 1, 1.5, 9]));
const params = { rounds: 10, max_depth: 3, eta: 0.3 };

/** A participant whose process dies (every connection cut, no reply) when `dies` says so. */
class Mortal extends Participant {
  server: ParticipantServer | null = null;
  registered = 0;
  constructor(name: string, i: number, private readonly dies: (r: RequestOf<'aggregate'>) => boolean) {
    super(name, banks[i]!, async () => `propensity_x@${++this.registered}`);
  }
  override aggregate(r: RequestOf<'aggregate'>) {
    if (this.dies(r)) {
      this.server!.server.close();
      this.server!.server.closeAllConnections();
      throw new Error('killed');
    }
    return super.aggregate(r);
  }
}

async function federation(dies: Record<string, (r: RequestOf<'aggregate'>) => boolean>) {
  const ps = names.map((n, i) => new Mortal(n, i, dies[n] ?? (() => false)));
  for (const p of ps) p.server = await serveParticipant(p, { token: TOKEN });
  const links = ps.map((p) => httpLink({ name: p.name, url: p.server!.url, token: TOKEN, timeoutMs: 5000 }));
  return { ps, links, close: () => Promise.all(ps.map((p) => p.server!.close())) };
}

describe('a participant killed mid-round', () => {
  it('while the label statistics are summed: the run retries without it and equals central training on the others', async () => {
    const f = await federation({ 'bank-b': (r) => r.kind === 'stats' });
    const result = await trainFederated(f.links, { params, cuts });
    await f.close();
    expect(result.retries).toBe(1);
    expect(result.participants.find((p) => p.name === 'bank-b')!.dropped!.round).toBe(-1);
    const all = pooled([banks[0]!, banks[2]!]);
    const central = train({ features: { nRows: all.nRows, nFeatures: 6, values: all.values }, label: all.label, cuts }, params).model;
    const x = banks[1]!.test!.features;
    const pf = predictBatch(result.model, x);
    const pc = predictBatch(central, x);
    pf.forEach((v, i) => expect(Math.abs(v - pc[i]!)).toBeLessThan(1e-12));
    // The survivors registered the model; the dead one did not.
    expect(f.ps.map((p) => p.registered)).toEqual([1, 0, 1]);
  });

  it('in the middle of growing tree 4: the round is regrown without it, trees before it are untouched', async () => {
    const ref = await federation({});
    const full = await trainFederated(ref.links, { params, cuts });
    await ref.close();
    const f = await federation({ 'bank-c': (r) => r.round === 4 && r.step === 2 });
    const result = await trainFederated(f.links, { params, cuts });
    await f.close();
    const c = result.participants.find((p) => p.name === 'bank-c')!;
    expect(c.dropped!.round).toBe(4);
    expect(c.rounds).toBe(4);
    expect(result.participants.find((p) => p.name === 'bank-a')!.rounds).toBe(10);
    expect(result.retries).toBe(1);
    expect(result.model.trees).toHaveLength(10);
    for (let t = 0; t < 4; t++) expect(Array.from(result.model.trees[t]!.value)).toEqual(Array.from(full.model.trees[t]!.value));
    // Had a sum missing one participant's masks been decoded, its cells would be ~1e18 and the leaves absurd.
    for (const t of result.model.trees) for (const v of t.value) expect(Math.abs(v)).toBeLessThan(2);
    expect(result.model.trees[4]!.value).not.toEqual(full.model.trees[4]!.value);
  });

  it('two of three killed: FEDERATION_FAILED, nothing registered, the survivor forgets the session', async () => {
    const f = await federation({ 'bank-a': (r) => r.round === 1, 'bank-b': (r) => r.round === 2 });
    const err = await trainFederated(f.links, { params, cuts, session: 'kill-two-session' }).catch((e: unknown) => e);
    await f.close();
    expect(err).toBeInstanceOf(NextbestError);
    expect((err as NextbestError).code).toBe('FEDERATION_FAILED');
    expect((err as NextbestError).details).toMatchObject({ active: ['bank-c'] });
    expect(f.ps.map((p) => p.registered)).toEqual([0, 0, 0]);
    expect(() => f.ps[2]!.tree({ session: 'kill-two-session', round: 0, splits: [], value: [0] })).toThrow(/no federated session/);
  });
});
