import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// `unit` needs nothing installed; `integration` talks to PostgreSQL, Redis and NATS and is
// required (not skipped) when CI=true; `web` tests the console's components in happy-dom;
// `e2e` drives the built console in headless Chromium (required when CI=true).
/** Test folders whose files run in one module graph per worker (see the unit-shared project). */
const SHARED = ['core', 'rules', 'models', 'features', 'decisioning', 'simulation', 'experiments', 'ingest', 'store', 'triggers', 'training', 'channels', 'engine'];

export default defineConfig({
  test: {
    // Vitest's default is one worker fewer than the cores: one worker on this 2-core machine,
    // so every file ran one after another while the tests waited on child processes, sockets
    // and fsync. Two workers (or the cores, where there are more) keep both cores busy.
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      // Tests share one module graph per worker (isolate: false): each file re-importing src
      // cost ~40% of the library tests' CPU and ~2.5 s of CPU per file of the server, CLI and
      // integration tests. They close what they open, restore what they spy on (captureStdio
      // restores the stdout/stderr spies after each test), name their temp dirs, schemas,
      // Redis prefixes and NATS streams per file, and CLI commands run in-process return their
      // exit code rather than setting process.exitCode. Only web (happy-dom) and e2e keep a
      // fresh graph per file.
      {
        test: {
          name: 'unit-shared',
          include: SHARED.map((d) => `test/${d}/**/*.test.ts`),
          testTimeout: 60_000,
          hookTimeout: 60_000,
          isolate: false,
        },
      },
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/e2e/**', 'node_modules/**', ...SHARED.map((d) => `test/${d}/**`)],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          isolate: false,
        },
      },
      {
        test: {
          name: 'web',
          include: ['test/web/**/*.test.tsx'],
          environment: 'happy-dom',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Not fileParallelism: false: vitest runs such a project in a group of its own after
          // every other file, so the one e2e file (~50 s) ran alone at the end with a core idle.
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Files run side by side: each makes its own schemas (pg.ts), Redis prefixes and NATS
          // streams named after its process and start time, and removes them.
          isolate: false,
        },
      },
    ],
  },
});
