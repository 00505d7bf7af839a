import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NextbestError } from '../../src/core/errors.js';
import { trainFederated, type ParticipantLink } from '../../src/federated/coordinator.js';
import { newIdentity, roundKeys } from '../../src/federated/masks.js';
import { Participant } from '../../src/federated/participant.js';
import { httpLink, serveParticipant, type ParticipantServer } from '../../src/federated/transport.js';
import { syntheticBank, TOKEN } from './helpers.js';

const names = ['bank-a', 'bank-b', 'bank-c'];
const ids = names.map(() => newIdentity());
let servers: ParticipantServer[];
beforeAll(async () => {
  const ps = names.map((n, i) => {
    const peers = new Map(names.flatMap((m, k) => (k === i ? [] : [[m, ids[k]!.publicKey] as [string, string]])));
    return new Participant(n, syntheticBank(400, 61 + i, i * 0.3), undefined, { privateKey: createPrivateKey(ids[i]!.privateKeyPem), peers });
  });
  servers = await Promise.all(ps.map((p) => serveParticipant(p, { token: TOKEN })));
});
afterAll(async () => void (await Promise.all(servers.map((s) => s.close()))));
const links = () => servers.map((s, i) => httpLink({ name: names[i]!, url: s.url, token: TOKEN }));

describe('round keys signed by pinned identities', () => {
  it('a federation whose participants know each other trains as before', async () => {
    const r = await trainFederated(links(), { params: { rounds: 3, max_depth: 2 } });
    expect(r.rounds).toBe(3);
    expect(r.participants.every((p) => p.dropped === null)).toBe(true);
  });

  it('a coordinator that swaps in its own round key for a participant is refused by every participant', async () => {
    // The man in the middle: it relays its own key as bank-b's, so it would share bank-a's and bank-c's masks with bank-b.
    const mitm = roundKeys();
    const swapped: ParticipantLink[] = links().map((l) => ({
      name: l.name,
      bytes: l.bytes,
      async call(route, body) {
        const reply = await l.call(route, body);
        return route === 'keys' && l.name === 'bank-b' ? ({ ...reply, publicKey: mitm.publicKey } as typeof reply) : reply;
      },
    }));
    const err = await trainFederated(swapped, { params: { rounds: 3, max_depth: 2 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NextbestError);
    expect((err as NextbestError).code).toBe('FEDERATION_FAILED');
    const dropped = (err as NextbestError).details!.dropped as Record<string, string>;
    // bank-a and bank-c refuse because the key relayed as bank-b's is not signed by bank-b (without identities they would have masked against it).
    expect(dropped['bank-a']).toMatch(/signed_key/);
    expect(dropped['bank-c']).toMatch(/signed_key/);
    expect(dropped['bank-b']).toMatch(/own_key/);
  });
});
