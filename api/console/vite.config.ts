import { defineConfig } from 'vite';

// Served by the api binary at /console (CONSOLE_DIR points at dist/).
export default defineConfig({
  base: '/console/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One stylesheet and one script, no inline code: the server's CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
