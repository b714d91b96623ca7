// vitest runs the compiled keyv suite (dist/test/keyv/keyv-suite.spec.js); keyv-suite.test.ts starts it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['dist/test/keyv/*.spec.js'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // hashstash itself is loaded by Node as a user's program loads it, not through vite's transform.
    server: { deps: { external: [/\/dist\/src\//] } },
  },
});
