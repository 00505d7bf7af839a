/**
 * Pairwise masks for secure aggregation (Bonawitz et al. 2017, without the secret-shared
 * recovery: a round that loses a participant is retried without it). For every round
 * attempt each participant makes a fresh X25519 key pair; every pair of participants
 * agrees a secret by Diffie-Hellman, expands it with HKDF into an AES-256-CTR key, and
 * draws one keystream block per aggregation step. The lower-named of a pair adds the
 * stream, the other subtracts it, so in the sum over all participants every mask cancels
 * exactly and the coordinator learns only the total.
 */
import { createCipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';
import { ValidationError } from '../core/errors.js';
import { addInto, subtractInto } from './fixedPoint.js';

/** A participant's key pair for one round attempt; the public half travels as base64url. */
export interface RoundKeys {
  publicKey: string;
  privateKey: KeyObject;
}

/** A fresh X25519 key pair. */
export function roundKeys(): RoundKeys {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { publicKey: String(jwk.x), privateKey };
}

/** The secret two participants share for a round attempt (one AES key per pair, bound to the session and round). */
export function pairKey(own: KeyObject, peerPublicKey: string, context: string): Buffer {
  let peer: KeyObject;
  try {
    peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peerPublicKey }, format: 'jwk' });
  } catch {
    throw new ValidationError([{ field: 'peers', rule: 'x25519_key', message: 'a peer public key is not an X25519 key' }]);
  }
  const shared = diffieHellman({ privateKey: own, publicKey: peer });
  return Buffer.from(hkdfSync('sha256', shared, Buffer.from('nextbest-federated-v1'), Buffer.from(context), 32));
}

/** `words` 32-bit words of the pair's keystream for one aggregation step (a distinct counter block per step). */
export function maskStream(key: Buffer, step: number, words: number): Uint32Array {
  const iv = Buffer.alloc(16);
  // The step picks a 2^64-block region of the counter space: no two steps share a block.
  iv.writeUInt32BE(step >>> 0, 0);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const bytes = Buffer.concat([cipher.update(Buffer.alloc(words * 4)), cipher.final()]);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, words).slice();
}

/**
 * Masks `plain` (fixed-point words) in place for `self` against every other peer: adds the
 * pair's stream when self sorts before the peer, subtracts it otherwise.
 */
export function applyMasks(plain: Uint32Array, self: string, own: KeyObject, peers: ReadonlyMap<string, string>, context: string, step: number): void {
  for (const [name, publicKey] of [...peers].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (name === self) continue;
    const stream = maskStream(pairKey(own, publicKey, pairContext(context, self, name)), step, plain.length);
    if (self < name) addInto(plain, stream);
    else subtractInto(plain, stream);
  }
}

/** The HKDF context of a pair: the same for both ends, whichever computes it. */
function pairContext(context: string, a: string, b: string): string {
  return `${context}|${a < b ? a : b}|${a < b ? b : a}`;
}

/**
 * Long-term identities close the one gap the coordinator could use: relaying its own round key
 * in place of a participant's (then it shares the masks and can unmask). Each participant signs
 * its round key with its Ed25519 identity; a participant given its peers' identity keys refuses
 * to mask against a key that is not signed by the peer it claims to be.
 */
export interface Identity {
  privateKey: KeyObject;
  /** The other participants' Ed25519 public keys (base64url, raw 32 bytes), by name. */
  peers: ReadonlyMap<string, string>;
}

const signed = (session: string, round: number, attempt: number, name: string, publicKey: string) => Buffer.from(`nextbest-federated-v1|${session}|${round}|${attempt}|${name}|${publicKey}`);

/** Signs a round key. */
export function signRoundKey(identity: KeyObject, session: string, round: number, attempt: number, name: string, publicKey: string): string {
  return sign(null, signed(session, round, attempt, name, publicKey), identity).toString('base64url');
}

/** True when `signature` is `name`'s identity signing this round key. */
export function verifyRoundKey(identityPublicKey: string, signature: string | undefined, session: string, round: number, attempt: number, name: string, publicKey: string): boolean {
  if (!signature) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: identityPublicKey }, format: 'jwk' });
    return verify(null, signed(session, round, attempt, name, publicKey), key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

/** A new Ed25519 identity: the private key (PEM) to keep, the public key (base64url) to give the other participants. */
export function newIdentity(): { privateKeyPem: string; publicKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: String(publicKey.export({ format: 'jwk' }).x) };
}
