/**
 * Preloaded into the server a bench measures (`node --import ./bench/serverProbe.mjs`), so a
 * tail latency can be set beside what it is made of: the server's GC pauses (each with its
 * start, from PerformanceObserver 'gc') and its event-loop delay (monitorEventLoopDelay, 10 ms
 * resolution). Plain JavaScript: it loads before the TypeScript loader does.
 *
 * On SIGUSR2 it writes what it saw since the last signal to the file named by
 * NEXTBEST_BENCH_PROBE (JSON) and starts over; the threads the process had when the probe
 * loaded (the main thread and V8's platform threads, which run the parallel and concurrent GC
 * and the optimising compiler) are written beside, so the bench can tell them from the
 * worker threads and the libuv pool started later. See readProbe in bench/loadRun.ts.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import process from 'node:process';

const out = process.env.NEXTBEST_BENCH_PROBE;
if (out) {
  const startupThreads = readdirSync('/proc/self/task', { withFileTypes: false }).map(Number);
  const kinds = { [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks' };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  /** GC pauses since the last dump: [start (ms since the epoch), duration (ms), kind]. */
  let pauses = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push([performance.timeOrigin + e.startTime, e.duration, kinds[e.detail?.kind] ?? String(e.detail?.kind)]);
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => {
    const report = {
      pid: process.pid,
      startupThreads,
      gcPauses: pauses,
      // The histogram counts the delay past the 10 ms timer: a stall of B ms shows as about B.
      loopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      heapUsedBytes: process.memoryUsage().heapUsed,
    };
    writeFileSync(out, JSON.stringify(report));
    pauses = [];
    delay.reset();
  });
}
