import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/fake-server-faults.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files share one PostgreSQL and one Redis; each uses its own schema or queue prefix,
    // so files may run in parallel, but two CPUs is all CI has.
    maxWorkers: 2,
  },
});
