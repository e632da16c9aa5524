import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src/store/migrations/index.ts';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const sources = filesUnder(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

describe('the house rules (src/README.md)', () => {
  it('registers every migration file, in name order', () => {
    const files = readdirSync(join(SRC, 'store/migrations')).filter((f) => f !== 'index.ts' && f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
    expect(Object.keys(migrations)).toEqual(files);
  });

  it('keeps every query in src/store', () => {
    const query = /\.(selectFrom|updateTable|insertInto|deleteFrom)\(|\bsql[`<]/;
    const outside = sources.filter((f) => !f.path.startsWith('store/') && query.test(f.text)).map((f) => f.path);
    expect(outside).toEqual(KNOWN_QUERIES_OUTSIDE_STORE);
  });

  it('keeps core free of Bolt, BullMQ, ioredis and HTTP', () => {
    const edge = /from '(@slack\/|bullmq|ioredis|node:http|undici|@octokit|jira\.js)/;
    expect(sources.filter((f) => f.path.startsWith('core/') && edge.test(f.text)).map((f) => f.path)).toEqual([]);
  });
});

// Left to move with the effect dispatcher's split (issue 10); the list may only shrink.
const KNOWN_QUERIES_OUTSIDE_STORE = ['core/usecases/perform-effect.ts'];
