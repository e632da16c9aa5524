import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../support/harness.ts';
import { findCard } from '../support/slack-views.ts';
import { enqueueOutbox, claimOutbox } from '../../src/store/repositories/outbox.ts';
import { sql } from 'kysely';
import { ADMIN_URL } from '../support/postgres.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ store: 'postgres' });
});

afterAll(async () => {
  await h?.stop();
});

describe('a database that drops connections', () => {
  it('keeps serving after PostgreSQL terminates every connection of relm', async () => {
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const dbName = (await sql<{ db: string }>`SELECT current_database() AS db`.execute(h.relm.db)).rows[0]!.db;
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [dbName]);
    await admin.end();
    const health = await fetch(`${h.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    const list = await waitFor(async () => {
      const res = await h.command('U0DEV', 'list');
      return res.reply && !res.reply.text.includes('Something went wrong') ? res : undefined;
    }, 'a list answered from a fresh connection');
    expect(list.status).toBe(200);
  });
});

describe('side effects after commit', () => {
  it('posts the card exactly once through Slack 5xx and 429 answers', async () => {
    h.slack.inject('chat.postMessage', { status: 500 }, { status: 503 }, { status: 429, retryAfterSeconds: 1 }, { status: 500 });
    const res = await h.command('U0DEV', 'new payments 3.0.0');
    expect(res.reply!.text).toContain('Planned *REL-1*');
    await h.settle();
    const cards = h.slack.channelMessages('C0PAY').filter((m) => m.blocks[0]?.text?.text?.startsWith('*REL-1 ·'));
    expect(cards).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage').length).toBeGreaterThanOrEqual(5);
  });

  it('finds what a crashed attempt already posted instead of posting it again', async () => {
    const card = findCard(h.slack, 'C0PAY', 1)!;
    const key = 'announce:approved:1:1';
    // The earlier attempt posted, then the worker died before recording it: the row is left 'sending'.
    const [id] = await enqueueOutbox(h.relm.db, [{ kind: 'announce', releaseId: 1, dedupeKey: key, payload: { releaseId: 1, event: 'approved' } }], new Date());
    await claimOutbox(h.relm.db, id!, new Date());
    // ...and its lease has run out.
    await h.relm.db.updateTable('outbox').set({ claimed_until: new Date(Date.now() - 1_000) }).where('id', '=', id!).execute();
    const posted = await h.relm.slack.post({ channel: 'C0PAY', text: 'announced before the crash', threadTs: card.ts, idempotencyKey: key });
    await h.relm.ctx.effects.dispatch([id!]);
    await h.settle();
    const withKey = h.slack.messages.filter((m) => m.metadata?.event_payload?.key === key);
    expect(withKey).toHaveLength(1);
    const row = await h.relm.db.selectFrom('outbox').selectAll().where('id', '=', id!).executeTakeFirstOrThrow();
    expect(row.state).toBe('done');
    expect(row.result).toMatchObject({ ts: posted.ts });
  });

  it('re-enqueues an effect whose enqueue was lost between commit and queue', async () => {
    const card = findCard(h.slack, 'C0PAY', 1)!;
    // Written in the transaction but never handed to BullMQ (the process died right after commit).
    const [id] = await enqueueOutbox(h.relm.db, [{ kind: 'announce', releaseId: 1, dedupeKey: 'announce:relay-test:1', payload: { releaseId: 1, event: 'relay test' } }], new Date(Date.now() - 5_000));
    await waitFor(async () => (await h.relm.db.selectFrom('outbox').select('state').where('id', '=', id!).executeTakeFirst())?.state === 'done', 'the relay to perform the stranded effect');
    expect(h.slack.thread('C0PAY', card.ts).filter((m) => m.text.includes('relay test'))).toHaveLength(1);
  });

  it('marks an effect failed for good when Slack says the channel does not exist', async () => {
    h.slack.inject('chat.postMessage', { slackError: 'channel_not_found' });
    const res = await h.command('U0DEV', 'new search 1.0.0', { channel: 'C0SEARCH' });
    expect(res.reply!.text).toContain('Planned');
    const row = await waitFor(async () => {
      const found = await h.relm.db.selectFrom('outbox').selectAll().where('kind', '=', 'card').where('release_id', '=', 2).where('state', '=', 'failed').executeTakeFirst();
      return found;
    }, 'the card effect to fail');
    expect(row.last_error).toContain('channel_not_found');
    expect(row.attempts).toBe(1);
  });
});
