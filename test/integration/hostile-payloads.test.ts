import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { blockActionPayload, interactionBody, sign, slashCommandBody, viewSubmissionPayload } from '../support/slack-requests.ts';
import { planValues } from '../support/slack-views.ts';
import { ACTIONS, VIEWS } from '../../src/bot/blocks/ids.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ store: 'pglite' });
  // A release with a card, so clicks and modal submissions about REL-1 reach real use cases.
  expect((await h.command('U0DEV', 'new payments 1.0.0')).reply!.text).toContain('Planned *REL-1*');
});

afterAll(async () => {
  await h?.stop();
});

async function postSigned(body: string, contentType = 'application/x-www-form-urlencoded'): Promise<number> {
  const res = await fetch(`${h.baseUrl}/slack/events`, { method: 'POST', body, headers: { 'content-type': contentType, ...sign(body) } });
  await res.arrayBuffer();
  return res.status;
}

/** Error-level lines relm logged since `from`: an internal error in a listener, an unacknowledged request... */
const errorsSince = (from: number) => h.logs.slice(from).filter((line) => JSON.parse(line).level >= 50);

describe('signed requests of the wrong shape', () => {
  const click = (fields: Record<string, unknown>) =>
    interactionBody({ ...blockActionPayload({ user: 'U0DEV', actionId: ACTIONS.submit, value: '1', channel: 'C0PAY', messageTs: '1.1', responseUrl: h.slack.responseUrl({ user: 'U0DEV' }) }), ...fields });

  it.each([
    ['payload=null', 'payload=null', undefined],
    ['a JSON null', 'null', 'application/json'],
    ['a JSON array', '[1, 2]', 'application/json'],
    ['a JSON string', '"block_actions"', 'application/json'],
    ['block_actions without a user', () => click({ user: undefined }), undefined],
    ['block_actions with a null user', () => click({ user: null }), undefined],
    ['block_actions with actions: null', () => click({ actions: null }), undefined],
    ['block_actions with actions: {}', () => click({ actions: {} }), undefined],
    ['block_actions with actions: [null]', () => click({ actions: [null] }), undefined],
    ['view_submission with view: null', interactionBody({ type: 'view_submission', user: { id: 'U0DEV' }, view: null }), undefined],
    ['view_submission of a modal relm never opened', interactionBody(viewSubmissionPayload({ user: 'U0DEV', view: { type: 'modal', callback_id: 'someone_else' }, values: {} })), undefined],
    ['an event with a null event', '{"type":"event_callback","event":null}', 'application/json'],
    ['an empty form', '', undefined],
    ['a request of no kind relm takes', interactionBody({ type: 'shortcut', callback_id: 'x' }), undefined],
  ] as [string, string | (() => string), string | undefined][])('answers 400 to %s and keeps serving', async (_name, body, contentType) => {
    const from = h.logs.length;
    expect(await postSigned(typeof body === 'function' ? body() : body, contentType)).toBe(400);
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    expect(errorsSince(from)).toEqual([]);
  });

  it('still answers 401 before looking at the shape of an unsigned body', async () => {
    const res = await fetch(`${h.baseUrl}/slack/events`, { method: 'POST', body: 'payload=null', headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign('payload=null', undefined, 'wrong-secret') } });
    expect(res.status).toBe(401);
  });
});

describe('button values and names that are not what relm put there', () => {
  it.each([
    [ACTIONS.submit, 'NaN'],
    [ACTIONS.submit, '1e308'],
    [ACTIONS.cancel, '100000000000000000000'],
    [ACTIONS.edit, '-1'],
    [ACTIONS.edit, '2147483648'],
    [ACTIONS.pause, '1.5'],
    [ACTIONS.tick, '1'],
    [ACTIONS.stepDone, ''],
    [ACTIONS.approve, '1:NaN'],
  ])('%s with value %j gets an ephemeral "older button" answer, never SQL', async (actionId, value) => {
    const from = h.logs.length;
    const res = await h.click('U0DEV', actionId, value, { channel: 'C0PAY', ts: '1.1' });
    expect(res.status).toBe(200);
    expect(res.reply?.text).toMatch(/older version of relm/);
    expect(errorsSince(from)).toEqual([]);
  });

  it.each(['policy __proto__', 'policy constructor', 'policy toString', 'new __proto__ 1.0.0', 'new constructor 1.0.0', 'new payments 1.0.1 --model __proto__', 'new payments 1.0.1 --model hasOwnProperty'])('"%s" says what is unknown', async (text) => {
    const res = await h.command('U0DEV', text);
    expect(res.reply?.text).toMatch(/^:warning: Unknown (service|deployment model)/);
  });

  it('a modal whose metadata names no release it could be is refused, not planned anew', async () => {
    const before = (await h.relm.db.selectFrom('releases').select('id').execute()).length;
    const view = { type: 'modal', callback_id: VIEWS.plan, private_metadata: JSON.stringify({ releaseId: '1; DROP TABLE releases' }) };
    const res = await h.post('/slack/events', interactionBody(viewSubmissionPayload({ user: 'U0DEV', view, values: planValues({ service: 'payments', version: '9.9.9' }) })));
    expect(res.status).toBe(400);
    expect((await h.relm.db.selectFrom('releases').select('id').execute()).length).toBe(before);
  });
});

/** Every path of an object, for mutations to pick from. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([key, inner]) => pathsOf(inner, [...prefix, key]))];
}

function mutate(template: unknown, mutations: { pick: number; op: 'delete' | 'set'; value: unknown }[]): unknown {
  let root = structuredClone(template);
  for (const { pick, op, value } of mutations) {
    const paths = pathsOf(root);
    const path = paths[pick % paths.length]!;
    if (path.length === 0) {
      root = op === 'set' ? value : {};
      continue;
    }
    let parent = root as Record<string, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
    if (op === 'delete') delete parent[path.at(-1)!];
    else parent[path.at(-1)!] = value;
  }
  return root;
}

describe('signed bodies of any shape (property)', () => {
  const odd = fc.oneof(
    fc.constantFrom(null, 'NaN', '1e308', '100000000000000000000', '-1', '0', '', '1:2:3', '2147483648', '__proto__', 'constructor', 'toString', [], {}, true, ' '),
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 30 }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const mutations = fc.array(fc.record({ pick: fc.nat(), op: fc.constantFrom<'delete' | 'set'>('delete', 'set', 'set'), value: odd }), { maxLength: 3 });
  const actionId = fc.oneof(fc.constantFrom(...Object.values(ACTIONS)), fc.string({ maxLength: 10 }));
  const buttonValue = fc.oneof(fc.constantFrom('1', '1:1', '1:0', '0', 'NaN', '1e308', '99999999999', '1:', ':1'), fc.string({ maxLength: 12 }));
  const callbackId = fc.oneof(fc.constantFrom(...Object.values(VIEWS)), fc.string({ maxLength: 10 }));
  const metadata = fc.oneof(fc.constantFrom('', '{}', '{"releaseId":1}', '{"releaseId":1,"revision":1,"channel":"C0PAY"}', '{"releaseId":"1"}', '{"releaseId":1e308}', 'null', '[]', '{'), fc.json({ maxDepth: 2 }));
  const text = fc.oneof(fc.constantFrom('help', 'show REL-1', 'policy __proto__', 'new __proto__ 1.0.0', 'list', 'approve REL-1'), fc.string({ maxLength: 40 }));

  /** One signed request: [body, content type]. */
  const request = fc.oneof(
    // Templates of what Slack sends, then broken in up to three places.
    fc.tuple(actionId, buttonValue, mutations).map(([id, value, m]) => {
      const payload = blockActionPayload({ user: 'U0FUZZ', actionId: id, value, channel: 'C0PAY', messageTs: '1.1', responseUrl: h.slack.responseUrl({ user: 'U0FUZZ' }), triggerId: randomUUID() });
      return [interactionBody(mutate(payload, m) as Record<string, unknown>), 'application/x-www-form-urlencoded'];
    }),
    fc.tuple(callbackId, metadata, fc.string({ maxLength: 12 }), mutations).map(([callback, meta, version, m]) => {
      const payload = viewSubmissionPayload({ user: 'U0FUZZ', view: { type: 'modal', callback_id: callback, private_metadata: meta }, values: { ...planValues({ service: 'payments', version }), reason: { value: { type: 'plain_text_input', value: version } } } });
      return [interactionBody(mutate(payload, m) as Record<string, unknown>), 'application/x-www-form-urlencoded'];
    }),
    fc.tuple(text, mutations).map(([t, m]) => {
      const fields = Object.fromEntries(new URLSearchParams(slashCommandBody({ user: 'U0FUZZ', text: t, responseUrl: h.slack.responseUrl({ user: 'U0FUZZ' }) })));
      const broken = mutate(fields, m);
      const form = typeof broken === 'object' && broken !== null ? Object.entries(broken).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')]) : [];
      return [new URLSearchParams(form).toString(), 'application/x-www-form-urlencoded'];
    }),
    // Anything at all, as JSON, as a form, and as a form's payload.
    fc.jsonValue({ maxDepth: 3 }).map((v) => [JSON.stringify(v), 'application/json']),
    fc.jsonValue({ maxDepth: 3 }).map((v) => [`payload=${encodeURIComponent(JSON.stringify(v))}`, 'application/x-www-form-urlencoded']),
    fc.dictionary(fc.oneof(fc.constantFrom('payload', 'command', 'type', 'ssl_check', 'user_id', 'actions'), fc.string({ maxLength: 8 })), fc.string({ maxLength: 20 })).map((d) => [new URLSearchParams(d).toString(), 'application/x-www-form-urlencoded']),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => [s, fc.sample(fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'), 1)[0]!]),
  );

  it('never answers 5xx, never fails inside relm, and /healthz stays up', async () => {
    const from = h.logs.length;
    const statuses = new Map<number, number>();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 8, maxLength: 24 }), async (batch) => {
        const results = await Promise.all(batch.map(([body, type]) => postSigned(body as string, type as string)));
        sent += results.length;
        for (const status of results) statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(results.filter((s) => s >= 500)).toEqual([]);
      }),
      { numRuns: 250 },
    );
    expect(sent).toBeGreaterThan(3_000);
    // Both answers occur: well-formed requests are taken (200) and broken ones refused (400).
    expect(statuses.get(200)).toBeGreaterThan(100);
    expect(statuses.get(400)).toBeGreaterThan(100);
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    // The work after the acks finishes without an internal error anywhere.
    await waitFor(async () => (await h.relm.metrics.slackWorking.get()).values[0]?.value === 0, 'the acknowledged work to finish');
    expect(errorsSince(from).map((line) => { const l = JSON.parse(line); return `${l.msg}: ${l.err?.message ?? ''} ${l.err?.stack?.split('\n').slice(1, 4).join(' ') ?? ''}`; })).toEqual([]);
    expect(h.slack.ephemerals.filter((e) => e.text.includes('Something went wrong'))).toEqual([]);
  }, 60_000);
});
