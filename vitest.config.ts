import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Generated code imports the runtime by package name; in this repo's tests it resolves to
    // the sources, so no build step is needed between an edit and a test.
    alias: [
      { find: /^mtlc\/runtime$/, replacement: src('runtime/index.ts') },
      { find: /^mtlc\/runtime\/model$/, replacement: src('runtime/model.ts') },
      { find: /^mtlc\/runtime\/train$/, replacement: src('runtime/index.ts') },
      { find: /^mtlc\/vite$/, replacement: src('vite/index.ts') },
      { find: /^mtlc$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
