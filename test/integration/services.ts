import net from 'node:net';

/** True when something accepts TCP connections on host:port within the timeout. */
export function answers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether to run a suite that needs a service: yes when it answers; when it does not,
 * skip locally but fail under CI=true, where integration tests must run.
 */
export async function serviceAvailable(name: string, port: number): Promise<boolean> {
  const ok = await answers(port);
  if (!ok && process.env.CI === 'true') throw new Error(`${name} does not answer on 127.0.0.1:${port}, and CI=true requires the integration tests to run`);
  return ok;
}
