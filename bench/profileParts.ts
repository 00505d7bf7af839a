/**
 * Profiling aid, not a benchmark: reads a V8 CPU profile (`node --cpu-prof`, e.g. of
 * bench/profile-decide.ts or of `nextbest serve` under bench/decide-http.bench.ts with
 * BENCH_CPU_PROF) and splits the thread's time into the parts of a decision, so the
 * breakdown in docs/performance.md can be measured again.
 *
 * Only the window in which decisions ran counts: from the first to the last sample whose
 * stack holds a decision (the `decide` method of src/decisioning/service.ts; `PART_WINDOW=regex`
 * matches `functionName url` instead). Each sample goes to the part of its innermost frame that names one
 * (below); garbage collection and idle are V8's own, and what names no part is "other".
 *
 *   npx tsx --cpu-prof --cpu-prof-dir=/tmp/p bench/profile-decide.ts 20000
 *   npx tsx bench/profileParts.ts /tmp/p [--part REGEX]   (REGEX: list the innermost frames of those parts)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Frame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: Frame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Parts in the order they are tried on a frame: the first whose pattern matches names it. */
const PARTS: [string, RegExp][] = [
  ['tree walks (model scores)', /src\/models\/gbdt\/predict/],
  ['TreeSHAP (explanation)', /src\/models\/gbdt\/(fastShap|shap)/],
  ['CEL rules', /src\/rules\//],
  ['policies (consent, suitability, caps, channel, arbitration)', /src\/decisioning\/policies\//],
  ['scoring glue (feature rows, served scores)', /src\/decisioning\/scoring/],
  ['net value', /src\/decisioning\/netValue/],
  ['decision record (build, pack, deflate)', /src\/decisioning\/(buildRecord|storedRecord|record)|node:zlib/],
  ['explanation text (reasons, sentence)', /src\/decisioning\/(explain|sentences)/],
  ['evaluate / select (the core loop)', /src\/decisioning\/(decide|compile|exclusion|trace)/],
  ['inputs (customer view, consents, profile, request)', /src\/decisioning\/(service|view)|src\/core\//],
  ['stores and log', /src\/store\//],
  ['features (profile reads)', /src\/features\//],
  ['HTTP (Fastify, routes, auth)', /node_modules\/(fastify|find-my-way|light-my-request|avvio|@fastify)|src\/server\//],
];

function latestProfile(dir: string): CpuProfile {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  // The main thread's profile is the largest (a worker's holds few samples).
  const [file] = files.map((f) => [f, statSync(join(dir, f)).size] as const).sort((a, b) => b[1] - a[1])[0]!;
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: npx tsx bench/profileParts.ts PROFILE_DIR\n');
  process.exit(2);
}
const p = latestProfile(dir);
const windowPattern = new RegExp(process.env.PART_WINDOW ?? '^decide .*src/decisioning/service');
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Each node's part (its innermost frame that names one) and whether a decision is on its stack.
const partOf = new Map<number, string>();
const inDecision = new Map<number, boolean>();
for (const n of p.nodes) {
  let part: string | undefined;
  let decision = false;
  for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
    const f = byId.get(id)!.callFrame;
    if (part === undefined) {
      const name = f.functionName;
      if (name === '(garbage collector)') part = 'garbage collection';
      else if (name === '(idle)') part = 'idle';
      else if (name === '(program)') part = 'V8 (program)';
      // JSON.stringify and JSON.parse are natives: no url, known by name.
      else if (f.url === '' && (name === 'stringify' || name === 'parse')) part = 'JSON';
      else for (const [label, re] of PARTS) if (re.test(f.url)) { part = label; break; }
    }
    if (windowPattern.test(`${f.functionName} ${f.url}`)) decision = true;
  }
  partOf.set(n.id, part ?? 'other');
  inDecision.set(n.id, decision);
}
let first = -1;
let last = -1;
p.samples.forEach((id, i) => {
  if (inDecision.get(id)) {
    if (first < 0) first = i;
    last = i;
  }
});
if (first < 0) throw new Error(`no sample has a frame matching ${windowPattern}`);
const time = new Map<string, number>();
let total = 0;
for (let i = first; i <= last; i++) {
  const dt = p.timeDeltas[i] ?? 0;
  const part = partOf.get(p.samples[i]!)!;
  time.set(part, (time.get(part) ?? 0) + dt);
  total += dt;
}
const busy = total - (time.get('idle') ?? 0);
process.stdout.write(`window: ${(total / 1e6).toFixed(2)} s of samples (${last - first + 1}), ${(busy / 1e6).toFixed(2)} s busy\n`);
process.stdout.write('| part | share of busy time |\n|---|---|\n');
for (const [part, t] of [...time].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1])) process.stdout.write(`| ${part} | ${((100 * t) / busy).toFixed(1)}% |\n`);
// `--part REGEX`: the innermost frames of the parts whose label matches (e.g. --part other).
const partArg = process.argv.indexOf('--part');
if (partArg > 0) {
  const want = new RegExp(process.argv[partArg + 1] ?? 'other');
  const frames = new Map<string, number>();
  for (let i = first; i <= last; i++) {
    const n = byId.get(p.samples[i]!)!;
    if (!want.test(partOf.get(n.id)!)) continue;
    const k = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}`;
    frames.set(k, (frames.get(k) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  process.stdout.write(`\nparts matching ${want}, by innermost frame:\n`);
  for (const [k, t] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, 25)) process.stdout.write(`${((100 * t) / busy).toFixed(1).padStart(5)}% ${k}\n`);
}
