import { mulberry32, normal } from '../../src/core/random.js';
import { httpLink } from '../../src/federated/transport.js';
import { Participant, type LocalData } from '../../src/federated/participant.js';
import { serveParticipant, type ParticipantServer } from '../../src/federated/transport.js';
import type { ParticipantLink } from '../../src/federated/coordinator.js';

export const TOKEN = 'test-token-0123456789abcdef';

/** A seeded binary data set: F features (some with missing values), a logistic truth; `shift` moves the mix. */
export function syntheticBank(n: number, seed: number, shift = 0, F = 6): LocalData {
  const rng = mulberry32(seed);
  const values = new Float64Array(n * F);
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = -0.5;
    for (let f = 0; f < F; f++) {
      let v = normal(rng) + (f === 0 ? shift : 0);
      if (f === 3) v = Math.round(v * 2) / 2; // few distinct values
      if (f === 4 && rng.next() < 0.15) v = Number.NaN;
      values[i * F + f] = v;
      if (v === v) m += [1.2, -0.8, 0.5, 0.7, -1, 0.2][f % 6]! * v;
    }
    m += 0.8 * Math.sin(3 * values[i * F + 1]!);
    label[i] = rng.next() < 1 / (1 + Math.exp(-m)) ? 1 : 0;
  }
  const names = Array.from({ length: F }, (_, f) => `x${f}`);
  const cut = Math.floor(n * 0.75);
  return {
    featureNames: names,
    label: 'took_offer',
    train: { nRows: cut, nFeatures: F, values: values.slice(0, cut * F) },
    trainLabel: label.slice(0, cut),
    test: { features: { nRows: n - cut, nFeatures: F, values: values.slice(cut * F) }, label: label.slice(cut) },
  };
}

/** Rows of several banks stacked (the central, pooled baseline). */
export function pooled(banks: readonly LocalData[]): { values: Float64Array; label: Float64Array; nRows: number; nFeatures: number } {
  const F = banks[0]!.train.nFeatures;
  const nRows = banks.reduce((s, b) => s + b.train.nRows, 0);
  const values = new Float64Array(nRows * F);
  const label = new Float64Array(nRows);
  let k = 0;
  for (const b of banks) {
    values.set(b.train.values, k * F);
    label.set(b.trainLabel, k);
    k += b.train.nRows;
  }
  return { values, label, nRows, nFeatures: F };
}

/** Serves each bank as a participant on port 0; returns the links and a close. */
export async function startBanks(banks: readonly LocalData[], names = ['bank-a', 'bank-b', 'bank-c']): Promise<{ participants: Participant[]; servers: ParticipantServer[]; links: ParticipantLink[]; close(): Promise<void> }> {
  const participants = banks.map((b, i) => new Participant(names[i]!, b));
  const servers = await Promise.all(participants.map((p) => serveParticipant(p, { token: TOKEN })));
  const links = servers.map((s, i) => httpLink({ name: names[i]!, url: s.url, token: TOKEN, timeoutMs: 10_000 }));
  return { participants, servers, links, close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}
