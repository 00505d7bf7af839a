import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The console is served by `nextbest serve` under /console; its build ships in the package
// (dist/console, next to the compiled server) and is made by `npm run build:console`
// (run by `prepare`, so `npm ci` leaves a built console behind).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    // The budget is the first page gzipped (≤ 300 KB), measured by `npm run bench -- console`.
    chunkSizeWarningLimit: 600,
  },
  logLevel: 'warn',
});
