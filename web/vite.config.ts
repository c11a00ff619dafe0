// The dashboard's build: web/ → web/dist, which `sovi up` serves at / (src/http/web.ts). `npm ci` runs it
// (the prepare script), so a fresh checkout serves a built dashboard with no extra step.
//
// Development: `npx vite --config web/vite.config.ts` serves web/ with reloads and forwards /api to a
// running `sovi up` (SOVI_DEV_API, default http://127.0.0.1:8080). Sign in with a token as usual.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  // Preact's automatic JSX runtime, compiled by Vite's own transformer (no Babel, no preset needed).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The dashboard is small; one warning threshold that fits uPlot + Preact + the pages.
    chunkSizeWarningLimit: 400,
  },
  server: {
    // process.env is read here, in the build tool's own config, never by sovi (src/config.ts is).
    proxy: { '/api': process.env.SOVI_DEV_API ?? 'http://127.0.0.1:8080' },
  },
});
