// A project that uses the mtlc Vite plugin as a user would (`mtlc/vite`, resolved to the built
// package); test/vite-plugin.test.ts runs Vitest on it. Layer kinds: the residual-block example's.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { mtlc } from 'mtlc/vite';

export default defineConfig({
  plugins: [mtlc({ configFile: '../../examples/residual-block/mtlc.config.ts' })],
  resolve: {
    alias: [{ find: /^mtlc\/runtime$/, replacement: fileURLToPath(new URL('../../src/runtime/index.ts', import.meta.url)) }],
  },
  test: { include: ['**/*.check.ts'], pool: 'forks', testTimeout: 60_000 },
});
