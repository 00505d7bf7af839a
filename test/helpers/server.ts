import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from './built.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts `nextbest serve` in a child process (the sources as JavaScript, built.ts) on a free port; resolves with its URL and what
 * it printed. Authentication is off (`--no-auth`, loopback) unless `secure` is set;
 * `nodeArgs` go to node itself (e.g. `--cpu-prof`, which NODE_OPTIONS refuses).
 */
export async function startServer(dataDir: string, extraEnv: Record<string, string> = {}, extraArgs: string[] = [], o: { secure?: boolean; nodeArgs?: string[] } = {}): Promise<{ url: string; child: ChildProcess; stdout: () => string }> {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), ...nodeArgs('src/cli/main.ts'), 'serve', '--port', '0', '--data-dir', dataDir, ...(o.secure ? [] : ['--no-auth']), ...extraArgs], {
    cwd: root,
    env: { ...process.env, NEXTBEST_LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let printed = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
  return { url, child, stdout: () => printed };
}

/** Waits for a child to exit; resolves with its exit code or signal. */
export function exited(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(String(child.exitCode ?? child.signalCode));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(String(code ?? signal))));
}
