import { defineConfig } from 'vite';

// The web workspace, served by the API at `/` from web/dist (api/static-files.ts).
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 400 },
});
