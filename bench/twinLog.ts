/**
 * Writes a twin bank with random offers in the loop (the demo's bank, so offers and their
 * take-up are in the log and every model family has rows) as JSONL for `nextbest ingest`:
 *   npx tsx bench/twinLog.ts CUSTOMERS DAYS SEED OUT_DIR
 * `nextbest simulate` writes no offers, so the propensity family would have nothing to learn.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDemoBank } from '../src/simulation/index.js';

const [customers, days, seed, out] = process.argv.slice(2);
if (!customers || !days || !seed || !out) throw new Error('usage: tsx bench/twinLog.ts CUSTOMERS DAYS SEED OUT_DIR');
mkdirSync(out, { recursive: true });
const bank = generateDemoBank({ customers: Number(customers), days: Number(days), seed: Number(seed), startDate: '2025-01-01', policy: 'random' });
writeFileSync(join(out, 'customers.jsonl'), bank.customers.map((c) => JSON.stringify(c)).join('\n') + '\n');
const w = createWriteStream(join(out, 'events.jsonl'));
let n = 0;
for await (const page of bank.events) {
  const text = page.map((e) => JSON.stringify(e)).join('\n') + '\n';
  n += page.length;
  if (!w.write(text)) await new Promise<void>((r) => w.once('drain', () => r()));
}
await new Promise<void>((r) => w.end(() => r()));
process.stdout.write(`${n} events written to ${join(out, 'events.jsonl')}\n`);
