import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32, normal } from '../src/core/random.js';
import { fitMarkovChain } from '../src/models/markov/transitions.js';
import { sequencesFromPanel } from '../src/models/markov/panel.js';
import { simulateSequences } from '../src/models/markov/simulate.js';
import { ACTIVITY_STATES } from '../src/models/markov/states.js';
import { fitCox } from '../src/models/survival/cox.js';
import { harrellConcordance } from '../src/models/survival/concordance.js';
import { kaplanMeier } from '../src/models/survival/kaplanMeier.js';
import type { Bench, BenchRow } from './harness.js';

/**
 * Cox PH on 1,000,000 customers x 10 covariates (Efron ties, integer days so times tie
 * heavily), timed next to R's survival::coxph on the same data when /usr/bin/Rscript is
 * installed; Kaplan-Meier and concordance on the same rows; a Markov chain fitted to
 * 1,000,000 customers' 12-month activity sequences.
 */
const RSCRIPT = '/usr/bin/Rscript';
const BETA = [0.3, -0.2, 0.1, 0.05, -0.1, 0.2, 0, 0.15, 0.4, -0.3];

function churnData(n: number, seed: number) {
  const rng = mulberry32(seed);
  const p = BETA.length;
  const x = new Float64Array(n * p);
  const time = new Float64Array(n);
  const event = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let lp = 0;
    for (let j = 0; j < p; j++) {
      // Eight continuous features (standardised balances, spend...) and two 0/1 flags.
      const v = j < 8 ? normal(rng) : rng.next() < 0.3 ? 1 : 0;
      x[i * p + j] = v;
      lp += v * BETA[j]!;
    }
    const t = (-Math.log(1 - rng.next()) * 365) / Math.exp(lp);
    const c = rng.next() * 3 * 365;
    time[i] = Math.max(1, Math.ceil(Math.min(t, c)));
    event[i] = t <= c ? 1 : 0;
  }
  return { time, event, x, p };
}

function seconds(f: () => void): number {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
}

/** Runs R's coxph on the same rows (binary file, column-major: time, event, x1..x10). */
function rCoxph(d: ReturnType<typeof churnData>, dir: string): { seconds: number; coef: number[]; loglik: number; iter: number } | null {
  if (!existsSync(RSCRIPT)) return null;
  const n = d.time.length;
  const cols = new Float64Array(n * (d.p + 2));
  cols.set(d.time, 0);
  for (let i = 0; i < n; i++) cols[n + i] = d.event[i]!;
  for (let j = 0; j < d.p; j++) for (let i = 0; i < n; i++) cols[(j + 2) * n + i] = d.x[i * d.p + j]!;
  const bin = join(dir, 'cox.bin');
  writeFileSync(bin, cols);
  const script = `
suppressPackageStartupMessages(library(survival))
n <- ${n}; p <- ${d.p}
v <- readBin("${bin}", "double", n * (p + 2))
m <- matrix(v, nrow = n)
time <- m[, 1]; status <- m[, 2]; X <- m[, 3:(p + 2)]
el <- system.time(fit <- coxph(Surv(time, status) ~ X, ties = "efron"))[["elapsed"]]
cat("ELAPSED", el, "\\n"); cat("ITER", fit$iter, "\\n"); cat("LOGLIK", sprintf("%.10f", fit$loglik[2]), "\\n")
cat("COEF", sprintf("%.15g", coef(fit)), "\\n")
cat("VERSION", R.version.string, as.character(packageVersion("survival")), "\\n")`;
  const r = spawnSync(RSCRIPT, ['-e', script], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`Rscript failed: ${r.stderr}`);
  const line = (key: string) => r.stdout.split('\n').find((l) => l.startsWith(key))!.slice(key.length).trim();
  return { seconds: Number(line('ELAPSED')), iter: Number(line('ITER')), loglik: Number(line('LOGLIK')), coef: line('COEF').split(/\s+/).map(Number) };
}

const bench: Bench = {
  name: 'models-survival',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const n = quick ? 100_000 : 1_000_000;
    const label = `${n.toLocaleString('en-GB')} rows x 10 covariates`;
    const d = churnData(n, 2026);
    let events = 0;
    for (const e of d.event) events += e;
    notes.push(`Cox data: ${label}, ${events.toLocaleString('en-GB')} events, times in whole days (heavy ties), seed 2026.`);

    // One warm-up fit (JIT), then the timed ones: with concordance, as R's coxph computes it too, and without.
    let model = fitCox(d);
    const fitS = seconds(() => {
      model = fitCox(d);
    });
    const fitNoCS = seconds(() => fitCox(d, { concordance: false }));
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-bench-surv-'));
    try {
      const r = rCoxph(d, dir);
      if (r) {
        rows.push({ case: `Cox PH, Efron, ${label}`, metric: 'fit time (with concordance)', value: fitS, unit: 's', peer: { name: 'R coxph', value: r.seconds }, ratio: fitS / r.seconds, goal: 'seconds, not minutes' });
        const maxRel = Math.max(...model.beta.map((b, j) => Math.abs(b - r.coef[j]!) / Math.abs(r.coef[j]! || 1)));
        notes.push(
          `Same data in R (coxph(Surv(time, status) ~ X, ties = "efron"), model frame included, concordance included as coxph always computes it): ` +
            `${r.iter} iterations vs our ${model.iterations}; loglik ${r.loglik.toFixed(4)} vs ours ${model.loglik.final.toFixed(4)}; ` +
            `largest relative coefficient difference ${maxRel.toExponential(2)}.`,
        );
        rows.push({ case: `Cox PH vs R on ${label}`, metric: 'max relative coefficient difference', value: maxRel, unit: '', goal: '< 1e-6' });
      } else {
        rows.push({ case: `Cox PH, Efron, ${label}`, metric: 'fit time (with concordance)', value: fitS, unit: 's', goal: 'seconds, not minutes' });
        notes.push(`${RSCRIPT} not installed: no R comparison in this run.`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    rows.push({ case: `Cox PH, Efron, ${label}`, metric: 'fit time without concordance', value: fitNoCS, unit: 's' });
    rows.push({ case: `Cox PH, Efron, ${label}`, metric: 'time per Newton-Raphson iteration', value: (fitNoCS * 1000) / (model.iterations + 1), unit: 'ms', note: 'fit time without concordance / (iterations + the null evaluation); includes the one-off sort' });

    const lp = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < d.p; j++) lp[i]! += d.x[i * d.p + j]! * model.beta[j]!;
    const cS = seconds(() => harrellConcordance(d.time, d.event, lp));
    rows.push({ case: `concordance (Harrell's C), ${n.toLocaleString('en-GB')} rows`, metric: 'time', value: cS, unit: 's', note: 'O(n log n), Fenwick tree' });
    const kmS = seconds(() => kaplanMeier(d.time, d.event));
    rows.push({ case: `Kaplan-Meier, ${n.toLocaleString('en-GB')} rows`, metric: 'time', value: kmS, unit: 's' });

    // Markov: 1M customers x 12 months of activity states.
    const customers = quick ? 100_000 : 1_000_000;
    const truth = [
      [0.85, 0.1, 0.04, 0.01],
      [0.3, 0.5, 0.15, 0.05],
      [0.05, 0.1, 0.7, 0.15],
      [0, 0, 0, 1],
    ];
    const seq = simulateSequences(truth, ACTIVITY_STATES, [0.7, 0.2, 0.1, 0], customers, 12, mulberry32(7));
    const mS = seconds(() => fitMarkovChain(seq, { absorbing: ['closed'] }));
    rows.push({ case: `Markov fit, ${customers.toLocaleString('en-GB')} customers x 12 months`, metric: 'time (encoded sequences)', value: mS * 1000, unit: 'ms' });
    // The CLI path: a long customer-period-state table grouped into sequences first.
    const total = seq.codes.length;
    const customer: string[] = new Array<string>(total);
    const period = new Int32Array(total);
    const state: string[] = new Array<string>(total);
    for (let c = 0; c < customers; c++) {
      const id = `c${c}`;
      for (let t = 0; t < 12; t++) {
        customer[c * 12 + t] = id;
        period[c * 12 + t] = t;
        state[c * 12 + t] = ACTIVITY_STATES[seq.codes[c * 12 + t]!]!;
      }
    }
    const pS = seconds(() => fitMarkovChain(sequencesFromPanel({ customer, period, state }, ACTIVITY_STATES), { absorbing: ['closed'] }));
    rows.push({ case: `Markov fit from a ${total.toLocaleString('en-GB')}-row customer/period/state table`, metric: 'time (group + sort + count)', value: pS, unit: 's' });
    return { rows, notes };
  },
};

export default bench;
