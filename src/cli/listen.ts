import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../index.js';
import { buildApp } from '../server/app.js';
import { prepareAccess, type AccessSetup } from '../server/startup.js';

/**
 * Binding the API port is where a first run most often fails (another demo or server still
 * running). The error is told in words with what to do, and the command exits non-zero
 * instead of leaving the engine's workers and timers holding the process open.
 */
const WHY: Record<string, string> = {
  EADDRINUSE: 'is already in use',
  EACCES: 'needs privileges this user lacks',
  EADDRNOTAVAIL: 'is on an address this machine does not have',
};

/** The message for a failed bind, or undefined when the error is not about the address. */
export function bindFailure(e: unknown, host: string, port: number): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !(code in WHY)) return undefined;
  return `nextbest: cannot listen on ${host}:${port}: the port ${WHY[code]} (${code}). Stop the other process, or pass --port with another port (--port 0 picks a free one).`;
}

/** Resolves with a bind failure message if host:port cannot be bound now, else undefined (checked before long work). */
export function checkPortFree(host: string, port: number): Promise<string | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (e) => resolve(bindFailure(e, host, port) ?? `nextbest: cannot listen on ${host}:${port}: ${e.message}`));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

/** Listens; on a bind failure returns its message (the caller closes the engine and exits 1). Other errors are thrown. */
export async function listenOrExplain(app: FastifyInstance, host: string, port: number): Promise<{ address: string } | { failure: string }> {
  try {
    return { address: await app.listen({ port, host }) };
  } catch (e) {
    const failure = bindFailure(e, host, port);
    if (failure === undefined) throw e;
    await app.close();
    return { failure };
  }
}

/**
 * What `serve` and `demo` share: the access setup (the first admin key, the log-hash key),
 * the app, and the bind. On a bind failure the engine is closed and the message printed; the
 * caller exits 1. On any other failure the engine is closed and the error thrown.
 */
export async function serveEngine(engine: Engine, host: string, port: number): Promise<{ app: FastifyInstance; address: string; access: AccessSetup } | null> {
  const access = await prepareAccess(engine, Date.now()).catch(async (e: unknown) => {
    await engine.close();
    throw e;
  });
  const app = buildApp(engine, { logIdKey: access.logIdKey });
  const bound = await listenOrExplain(app, host, port);
  if ('failure' in bound) {
    await engine.close();
    process.stderr.write(`${bound.failure}\n`);
    return null;
  }
  return { app, address: bound.address, access };
}
