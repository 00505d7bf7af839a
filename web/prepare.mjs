// Builds the console into dist/console when `npm ci` / `npm install` runs `prepare`.
// A production install (`--omit=dev`) has no Vite: the console then ships as already built
// (npm pack builds it) or is absent, and `/console/` says how to build it.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
try {
  require.resolve('vite');
} catch {
  process.stderr.write('nextbest: vite is not installed (production install?): the console is not built; run `npm run build:console` in a development checkout.\n');
  process.exit(0);
}
const { build } = await import('vite');
await build({ configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)), logLevel: 'warn' });
