import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src/store/migrations/index.ts';
import { EFFECTS } from '../../src/core/effects/index.ts';

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

  it('has no import circle', () => {
    const graph = new Map(sources.map((f) => [f.path, [...f.text.matchAll(/^(?:import|export) [^;]*? from '(\.[^']+)';/gms)].map((m) => normalize(join(dirname(f.path), m[1]!)))]));
    const circles: string[][] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') return void circles.push(path.slice(path.indexOf(file)));
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...path, next]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, [file]);
    expect(circles).toEqual([]);
  });

  it('performs every effect kind core writes by a registered definition', () => {
    const written = new Set(sources.filter((f) => f.path.startsWith('core/')).flatMap((f) => [...f.text.matchAll(/\{ kind: '([a-z_]+)', releaseId/g)].map((m) => m[1]!)));
    const registered = new Set<string>(EFFECTS.flatMap((d) => [...d.kinds]));
    expect([...written].filter((k) => !registered.has(k))).toEqual([]);
  });

  it('keeps core free of Bolt, BullMQ, ioredis and HTTP', () => {
    const edge = /from '(@slack\/|bullmq|ioredis|node:http|undici|@octokit|jira\.js)/;
    expect(sources.filter((f) => f.path.startsWith('core/') && edge.test(f.text)).map((f) => f.path)).toEqual([]);
  });
});

// Any file here is a query to move into src/store.
const KNOWN_QUERIES_OUTSIDE_STORE: string[] = [];
