/**
 * An HTTP load generator in a process of its own, so the benchmark's own heap and event loop
 * do not delay requests or replies. Two modes:
 * - open loop (`RATE` a number): one request every 1000/rate ms whatever the replies, for
 *   `seconds`, cycling through the bodies;
 * - closed loop (`RATE` = `closed:C`): C requests always in flight for `seconds`, to find
 *   the rate a server saturates at.
 * Prints one JSON line: latencies (ms) of 200 replies and when each request was sent (ms since
 * the epoch, to set beside the server's GC pauses), errors, the rate offered (open loop) or
 * achieved (closed loop), how many 200 replies contained MATCH (when given), and the CPU
 * seconds this process used from the first request to the last reply (it shares the
 * machine's cores with the server it measures).
 * `node --import tsx bench/loadgen.ts URL PATH RATE SECONDS BODIES.json [MATCH]`
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [base, path, rateArg, secondsArg, bodiesFile, match] = process.argv.slice(2);
const url = new URL(base!);
const seconds = Number(secondsArg);
const bodies = JSON.parse(readFileSync(bodiesFile!, 'utf8')) as string[];
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

interface Reply {
  status: number;
  /** Sent at, ms since the epoch. */
  at: number;
  ms: number;
  matched: boolean;
}

function post(body: string): Promise<Reply> {
  const start = performance.now();
  const at = performance.timeOrigin + start;
  return new Promise((resolve) => {
    const req = http.request({ hostname: url.hostname, port: url.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      if (match) res.on('data', (d: Buffer) => (text += d.toString()));
      else res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, at, ms: performance.now() - start, matched: match ? text.includes(match) : false }));
    });
    req.on('error', () => resolve({ status: 0, at, ms: performance.now() - start, matched: false }));
    req.end(body);
  });
}

const lat: number[] = [];
const sentAt: number[] = [];
let errors = 0;
let matched = 0;
const record = (r: Reply) => {
  if (r.status === 200) {
    lat.push(r.ms);
    sentAt.push(r.at);
    if (r.matched) matched++;
  } else errors++;
};
let rate: number;
const cpu0 = process.cpuUsage();
const start = performance.now();
if (rateArg!.startsWith('closed:')) {
  const concurrency = Number(rateArg!.slice('closed:'.length));
  const until = start + seconds * 1000;
  let k = 0;
  const lane = async () => {
    while (performance.now() < until) record(await post(bodies[k++ % bodies.length]!));
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  rate = (lat.length + errors) / ((performance.now() - start) / 1000);
} else {
  const target = Number(rateArg);
  const total = Math.round(target * seconds);
  const pending: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const wait = start + (k * 1000) / target - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(post(bodies[k % bodies.length]!).then(record));
  }
  rate = total / ((performance.now() - start) / 1000);
  await Promise.all(pending);
}
agent.destroy();
process.stdout.write(`${JSON.stringify({ lat, sentAt, errors, offered: rate, matched, cpuSeconds: ((u) => (u.user + u.system) / 1e6)(process.cpuUsage(cpu0)) })}\n`);
