#!/usr/bin/env node
// npx puts node_modules/.bin first on PATH, so `node` here is the pinned Node 24,
// which runs the TypeScript sources directly.
import { withHeapFlags } from '../src/heap-flags.ts';

// Before anything else loads: the heap limits can only be given when Node starts.
withHeapFlags();
await import('../src/cli.ts');
