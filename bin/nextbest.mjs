#!/usr/bin/env node
// The `nextbest` command. An installed package (under node_modules, global or local) runs the
// compiled dist/; a clone runs its TypeScript sources through tsx, so `npx nextbest` works
// without a build step. A clone that was built (`npm run build`, `npm pack`) runs dist/ only
// while it is newer than every source file, so editing src/ after a build never runs stale
// code. (npm extracts packages without their mtimes, so the mtime test is for clones only.)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = `${root}dist/cli/main.js`;
const sources = `${root}src`;

/** True when dist/ exists and this is an installed package, or no file under src/ changed after it was built. */
function distIsCurrent() {
  if (!existsSync(built)) return false;
  if (!existsSync(sources) || /[\\/]node_modules[\\/]/.test(root)) return true;
  const builtAt = statSync(built).mtimeMs;
  for (const name of readdirSync(sources, { recursive: true })) {
    if (statSync(`${sources}/${name}`).mtimeMs > builtAt) return false;
  }
  return true;
}

let main;
if (distIsCurrent()) {
  ({ main } = await import(new URL('../dist/cli/main.js', import.meta.url).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(new URL('../src/cli/main.ts', import.meta.url).href));
}
process.exitCode = await main(process.argv.slice(2));
