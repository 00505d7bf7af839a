import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * A 32-byte secret kept in a 0600 file in the data dir (created on first use), e.g. the
 * key of erased customers' tombstones: whoever reads the database alone cannot test a
 * guessed customer id against them.
 */
export function loadOrCreateSecret(file: string): Buffer {
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte hex key`);
    return key;
  }
  const key = randomBytes(32);
  // wx: two processes racing to create it must not end with different keys in use.
  try {
    writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSecret(file);
    throw e;
  }
  chmodSync(file, 0o600);
  return key;
}
