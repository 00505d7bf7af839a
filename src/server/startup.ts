import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NextbestError } from '../core/errors.js';
import type { Engine } from '../index.js';
import { adminKeyFile, ensureAdminKey } from './apiKeys.js';
import { isLoopback } from './auth.js';

export interface AccessSetup {
  /** The admin key created on this start (print it once), or null. */
  createdKey: string | null;
  /** The file holding the first admin key, if there is one. */
  keyFile: string | null;
  /** The key of the hashed customer ids in logs, kept in the data dir so tags stay comparable across restarts. */
  logIdKey: Uint8Array;
  /** Lines for the operator: the new key, or where keys live, or the no-auth warning. */
  notice: string[];
}

/**
 * What `serve` and `demo` do before listening: refuse no-auth mode off loopback, create the
 * first admin key when nothing else could authenticate anyone, and load the log-hash key.
 */
export async function prepareAccess(engine: Engine, now: number): Promise<AccessSetup> {
  const server = engine.config.server;
  const logIdKey = loadLogIdKey(engine);
  if (server.auth === 'none') {
    if (!isLoopback(server.host)) throw new NextbestError('CONFIG_INVALID', `authentication may be off (server.auth: none) only on a loopback host (127.0.0.1, ::1, localhost), not ${server.host}`);
    engine.logger.warn({ event: 'auth_off', host: server.host }, 'AUTHENTICATION IS OFF: anyone who can reach this port can read and erase customer data');
    return { createdKey: null, keyFile: null, logIdKey, notice: ['!!! AUTHENTICATION IS OFF (server.auth: none / --no-auth): every /v1 route answers anyone on this machine. Never use this with real data. !!!'] };
  }
  const created = await ensureAdminKey(engine, now);
  if (created) {
    engine.logger.info({ event: 'admin_key_created', file: created.file }, 'no API key existed: created an admin key');
    return {
      createdKey: created.key,
      keyFile: created.file,
      logIdKey,
      notice: [
        `Admin API key (shown once${created.file ? `; also saved to ${created.file}, mode 0600` : ''}):`,
        `  ${created.key}`,
        'Send it as: Authorization: Bearer <key>. Create narrower keys with `nextbest keys create --scope ...`.',
      ],
    };
  }
  const file = engine.config.store === 'memory' ? null : adminKeyFile(engine.config.dataDir);
  const keyFile = file && existsSync(file) ? file : null;
  return { createdKey: null, keyFile, logIdKey, notice: [`API keys required on /v1 (manage them with \`nextbest keys\`${keyFile ? `; the first admin key is in ${keyFile}` : ''}).`] };
}

/** Reads the admin key file (the demo prints the key with its URLs). */
export function readAdminKey(file: string | null): string | null {
  return file && existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

function loadLogIdKey(engine: Engine): Uint8Array {
  if (engine.config.store === 'memory') return randomBytes(32);
  const file = join(engine.config.dataDir, 'log-id.key');
  // A PostgreSQL store writes nothing under the data dir: it may not exist yet.
  mkdirSync(engine.config.dataDir, { recursive: true });
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}
