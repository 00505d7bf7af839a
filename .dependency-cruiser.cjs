/**
 * The import rules of ../DESIGN.md (docs/architecture.md), enforced in `npm test`.
 * Each folder may import only the folders listed for it; see docs/decisions/0001.
 */
const layer = (name) => `^src/${name}/`;
const allowed = {
  core: ['core'],
  rules: ['core', 'rules'],
  models: ['core', 'models'],
  store: ['core', 'store'],
  ingest: ['core', 'store', 'ingest'],
  features: ['core', 'rules', 'store', 'features'],
  training: ['core', 'features', 'models', 'rules', 'store', 'training'],
  decisioning: ['core', 'features', 'models', 'rules', 'store', 'decisioning'],
  triggers: ['core', 'features', 'models', 'rules', 'store', 'decisioning', 'triggers'],
  channels: ['core', 'store', 'channels'],
  experiments: ['core', 'models/metrics', 'models/stats', 'models/survival', 'store', 'experiments'],
  governance: ['core', 'models', 'store', 'governance'],
  federated: ['core', 'models', 'rules', 'features', 'training', 'store', 'federated'],
};

const forbidden = Object.entries(allowed).map(([from, to]) => ({
  name: `${from}-imports`,
  comment: `src/${from} may import only ${to.join(', ')}`,
  severity: 'error',
  from: { path: layer(from) },
  to: { path: '^src/', pathNot: to.map((t) => (t.includes('/') ? `^src/${t}(/|\\.ts$)` : layer(t))) },
}));

forbidden.push(
  {
    name: 'simulation-imports',
    comment: 'src/simulation may import anything but server/ and cli/',
    severity: 'error',
    from: { path: layer('simulation') },
    to: { path: ['^src/server/', '^src/cli/'] },
  },
  {
    name: 'server-imports',
    comment: 'src/server may import engine.ts, index.ts (the public API), config.ts, core/ and itself',
    severity: 'error',
    from: { path: layer('server') },
    to: { path: '^src/', pathNot: ['^src/server/', '^src/core/', '^src/engine\\.ts$', '^src/index\\.ts$', '^src/config\\.ts$'] },
  },
  {
    name: 'cli-imports',
    comment: 'src/cli may import engine.ts, index.ts, config.ts, server/, simulation/, federated/, core/ and the pure models/ (docs/decisions/0001)',
    severity: 'error',
    from: { path: layer('cli') },
    to: { path: '^src/', pathNot: ['^src/cli/', '^src/core/', '^src/models/', '^src/server/', '^src/simulation/', '^src/federated/', '^src/engine\\.ts$', '^src/index\\.ts$', '^src/config\\.ts$'] },
  },
  {
    name: 'engine-wiring',
    comment: 'src/engine/ holds the composition root\'s pieces: only engine.ts and index.ts use them',
    severity: 'error',
    from: { path: '^src/', pathNot: ['^src/engine(\\.ts$|/)', '^src/index\\.ts$'] },
    to: { path: '^src/engine/' },
  },
  {
    name: 'no-src-to-test',
    severity: 'error',
    from: { path: '^src/' },
    to: { path: '^(test|bench)/' },
  },
  {
    name: 'no-circular',
    comment: 'no import cycles at run time; a cycle closed by an `import type` is erased by the compiler (docs/decisions/0005)',
    severity: 'error',
    from: { path: '^src/' },
    to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
  },
  {
    name: 'pure-models',
    comment: 'models/ is pure numerics: no I/O, no network, no clock from outside',
    severity: 'error',
    from: { path: layer('models') },
    to: { dependencyTypes: ['core', 'npm'], path: '^(fs|node:fs|net|node:net|http|node:http|child_process|node:child_process|better-sqlite3|fastify|pino)' },
  },
);

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
