/**
 * The pieces the HTTP decision benches share: a server's CPU time from /proc, one run of the
 * load generator (bench/loadgen.ts, a process of its own) against a server, and the Fastify
 * floor server (bench/floor.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './decideFixtures.js';

/** CPU seconds (user + system, all threads) a process has used, from /proc; NaN where there is none. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return Number.NaN;
  }
}

export interface LoadRun {
  lat: number[];
  offered: number;
  errors: number;
  /** Replies whose body held `match` (0 when no match was asked for). */
  matched: number;
  /** The server's CPU seconds per reply (ok or error) over the run. */
  serverCpuSecondsPerReply: number;
}

/** One load run on POST /v1/decisions at `rate` (or closed-loop), with the server's CPU time per reply. */
export async function loadRun(url: string, bodiesFile: string, rate: number | `closed:${number}`, seconds: number, serverPid: number | undefined, match?: string): Promise<LoadRun> {
  const cpu0 = cpuSeconds(serverPid);
  const args = [join(root, 'bench/loadgen.ts'), new URL(url).origin, '/v1/decisions', String(rate), String(seconds), bodiesFile, ...(match ? [match] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`load generator exited ${code}`);
  const r = JSON.parse(out) as Omit<LoadRun, 'serverCpuSecondsPerReply'>;
  return { ...r, serverCpuSecondsPerReply: (cpuSeconds(serverPid) - cpu0) / Math.max(1, r.lat.length + r.errors) };
}

/** Starts the floor server; resolves with its URL and process. */
export async function startFloor(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/floor.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (c) => reject(new Error(`floor server exited ${c}`)));
  });
  return { url, child };
}
