/**
 * An open-loop HTTP load generator in a process of its own, so the benchmark's own heap and
 * event loop do not delay requests or replies. Sends one request every 1000/rate ms
 * whatever the replies, for `seconds`, cycling through the bodies; prints one JSON line:
 * latencies (ms) of 200 replies, errors, and the rate actually offered.
 * `node --import tsx bench/loadgen.ts URL PATH RATE SECONDS BODIES.json`
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [base, path, rateArg, secondsArg, bodiesFile] = process.argv.slice(2);
const url = new URL(base!);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const bodies = JSON.parse(readFileSync(bodiesFile!, 'utf8')) as string[];
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

function post(body: string): Promise<{ status: number; ms: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    const req = http.request({ hostname: url.hostname, port: url.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - start }));
    req.end(body);
  });
}

const total = Math.round(rate * seconds);
const lat: number[] = [];
let errors = 0;
const pending: Promise<void>[] = [];
const start = performance.now();
for (let k = 0; k < total; k++) {
  const wait = start + (k * 1000) / rate - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  pending.push(
    post(bodies[k % bodies.length]!).then((r) => {
      if (r.status === 200) lat.push(r.ms);
      else errors++;
    }),
  );
}
const offered = total / ((performance.now() - start) / 1000);
await Promise.all(pending);
agent.destroy();
process.stdout.write(`${JSON.stringify({ lat, errors, offered })}\n`);
