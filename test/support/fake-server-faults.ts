import { afterEach, expect } from 'vitest';
import { takeFakeServerFaults } from './local-server.ts';

// A fake server that failed answered 500, which relm retries: without this, a test waiting for the
// eventual outcome could pass over a broken fake.
afterEach(() => {
  expect(takeFakeServerFaults(), 'faults of the fake Jira, GitHub or deployer during this test').toEqual([]);
});
