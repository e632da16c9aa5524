import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/store.ts';
import { migrateToLatest, migrator, type Database } from '../../src/store/database.ts';
import { insertRelease, updateReleaseIf, liveVersions } from '../../src/store/repositories/releases.ts';
import { createStep, updateStepIf } from '../../src/store/repositories/steps.ts';
import { recordDecision, decisionsFor } from '../../src/store/repositories/decisions.ts';
import { appendAudit, auditChain } from '../../src/store/repositories/audit.ts';
import { claimOutbox, completeOutbox, enqueueOutbox, failOutbox, strandedOutbox, withdrawDeferred } from '../../src/store/repositories/outbox.ts';
import { firstDelivery } from '../../src/store/repositories/deliveries.ts';
import { activeLocks, insertLock, releaseLocks } from '../../src/store/repositories/deploy-locks.ts';
import { liveReleasesBetween, lockRolloutStarts, recentFailureCount, rolloutsUnderWay, rolloutsWaitingToStart } from '../../src/store/repositories/releases.ts';
import { LIVE_STATES } from '../../src/core/conflicts.ts';
import { verifyChain } from '../../src/core/audit.ts';

const now = new Date('2026-11-23T10:00:00.000Z');

function releaseRow(version: string) {
  return {
    service: 'payments',
    version,
    type: 'minor',
    title: `Payments ${version}`,
    description: '',
    risk: 'low',
    planned_start: null,
    deployment_model: 'two-waves',
    rollback_plan: 'redeploy',
    test_evidence: 'ci',
    training_needed: false,
    requester: 'U0DEV',
    state: 'submitted',
    card_channel: 'C0PAY',
    card_ts: null,
    created_at: now,
    updated_at: now,
    submitted_at: now,
    approved_at: null,
  };
}

describe.each(['postgres', 'pglite'] as const)('the store on %s', (kind) => {
  let db: Database;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ db, drop } = await openTestStore(kind));
  });

  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  it('applies migrations once and knows they are applied', async () => {
    const again = await migrateToLatest(db);
    expect(again.results).toEqual([]);
    const all = await migrator(db).getMigrations();
    expect(all.every((m) => m.executedAt instanceof Date)).toBe(true);
  });

  it('keeps one live release per service and version, and frees the version when cancelled', async () => {
    const first = await insertRelease(db, releaseRow('1.0.0'));
    expect(first.id).toBeGreaterThan(0);
    await expect(insertRelease(db, releaseRow('1.0.0'))).rejects.toThrow();
    await db.updateTable('releases').set({ state: 'cancelled' }).where('id', '=', first.id).execute();
    const second = await insertRelease(db, releaseRow('1.0.0'));
    expect(second.version).toBe('1.0.0');
    expect(await liveVersions(db, 'payments')).toEqual(['1.0.0']);
  });

  it('moves state only from the expected state (compare and set)', async () => {
    const release = await insertRelease(db, releaseRow('1.1.0'));
    const moved = await updateReleaseIf(db, release.id, 'submitted', { state: 'approved' });
    expect(moved?.state).toBe('approved');
    const again = await updateReleaseIf(db, release.id, 'submitted', { state: 'approved' });
    expect(again).toBeUndefined();
  });

  it('records one decision per approver per revision', async () => {
    const release = await insertRelease(db, releaseRow('1.2.0'));
    const decision = { approver: 'U0APP1', decision: 'approve' as const, revision: 1, decidedAt: now, comment: null };
    expect(await recordDecision(db, release.id, decision)).toBe(true);
    expect(await recordDecision(db, release.id, decision)).toBe(false);
    expect(await recordDecision(db, release.id, { ...decision, revision: 2 })).toBe(true);
    expect(await decisionsFor(db, release.id)).toHaveLength(2);
  });

  it('chains audit entries, refuses to change or delete them, and detects tampering', async () => {
    await db.transaction().execute(async (trx) => {
      await appendAudit(trx, { releaseId: 1, actor: 'U0DEV', action: 'planned', after: { state: 'draft' }, at: now });
      await appendAudit(trx, { releaseId: 1, actor: 'U0DEV', action: 'submitted', before: { state: 'draft' }, after: { state: 'submitted' }, at: new Date(now.getTime() + 1000) });
    });
    await db.transaction().execute((trx) => appendAudit(trx, { releaseId: 1, actor: 'U0APP1', action: 'approved', after: { state: 'approved', note: 'ünïcode ✓' }, at: new Date(now.getTime() + 2000) }));
    expect(await verifyChain(auditChain(db))).toEqual({ ok: true, entries: 3 });

    await expect(db.updateTable('audit_log').set({ actor: 'U0EVIL' }).where('seq', '=', 2).execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_log').where('seq', '=', 3).execute()).rejects.toThrow(/append-only/);

    // Someone with the rights to switch the trigger off edits history: the chain shows where.
    await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(db);
    await db.updateTable('audit_log').set({ actor: 'U0EVIL' }).where('seq', '=', 2).execute();
    await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(db);
    const check = await verifyChain(auditChain(db));
    expect(check).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('gives each audit entry a distinct place in the chain under concurrent writers', async () => {
    const before = (await db.selectFrom('audit_log').select('seq').execute()).length;
    await Promise.all(Array.from({ length: 12 }, (_, i) => db.transaction().execute((trx) => appendAudit(trx, { releaseId: 2, actor: `U0W${i}`, action: 'noted', at: now }))));
    const rows = await db.selectFrom('audit_log').select(['seq', 'prev_hash', 'hash']).where('release_id', '=', 2).orderBy('seq').execute();
    expect(rows.length + before).toBe((await db.selectFrom('audit_log').select('seq').execute()).length);
    expect(rows).toHaveLength(12);
    // one release's entries form one unbroken chain, whatever order the writers committed in
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
  });

  it('keeps outbox effects unique by key and claims each for one attempt at a time', async () => {
    const ids = await enqueueOutbox(db, [{ kind: 'card', releaseId: 1, dedupeKey: 'card:1:1', payload: { releaseId: 1 } }], now);
    expect(ids).toHaveLength(1);
    expect(await enqueueOutbox(db, [{ kind: 'card', releaseId: 1, dedupeKey: 'card:1:1', payload: { releaseId: 1 } }], now)).toEqual([]);
    const first = await claimOutbox(db, ids[0]!, now);
    expect(first).toMatchObject({ previousState: 'pending' });
    // a second worker finds the row leased and leaves it alone
    expect(await claimOutbox(db, ids[0]!, now)).toBe('busy');
    expect((await strandedOutbox(db, new Date(now.getTime() + 1), now)).map((r) => r.id)).not.toContain(ids[0]);
    // a failed attempt gives the lease back: the retry knows an earlier attempt may have got through
    await failOutbox(db, ids[0]!, 'Slack answered 500', false);
    expect((await strandedOutbox(db, new Date(now.getTime() + 1), now)).map((r) => r.id)).toContain(ids[0]);
    const retry = await claimOutbox(db, ids[0]!, now);
    expect(retry).toMatchObject({ previousState: 'sending', attempts: 2 });
    await completeOutbox(db, ids[0]!, { ts: '1.2' }, now);
    expect(await claimOutbox(db, ids[0]!, now)).toBe('done');
    expect((await strandedOutbox(db, new Date(now.getTime() + 1), now)).map((r) => r.id)).not.toContain(ids[0]);
  });

  it("reckons an effect's lease on relm's clock, not the database's", async () => {
    // The clock here is days from the database's own: the lease still runs for exactly its length on it.
    const [id] = await enqueueOutbox(db, [{ kind: 'card', releaseId: 1, dedupeKey: 'card:1:lease', payload: { releaseId: 1 } }], now);
    expect(await claimOutbox(db, id!, now, 60_000)).toMatchObject({ previousState: 'pending' });
    expect(await claimOutbox(db, id!, new Date(now.getTime() + 59_000), 60_000)).toBe('busy');
    expect((await strandedOutbox(db, new Date(now.getTime() + 59_001), new Date(now.getTime() + 59_000))).map((r) => r.id)).not.toContain(id);
    expect((await strandedOutbox(db, new Date(now.getTime() + 61_000), new Date(now.getTime() + 61_000))).map((r) => r.id)).toContain(id);
    expect(await claimOutbox(db, id!, new Date(now.getTime() + 61_000), 60_000)).toMatchObject({ previousState: 'sending', attempts: 2 });
    await completeOutbox(db, id!, {}, now);
  });

  it('keeps an effect waiting for its moment: not claimed, not stranded, and withdrawn by its key prefix', async () => {
    const due = new Date(now.getTime() + 3_600_000);
    const [waiting, other] = await enqueueOutbox(
      db,
      [
        { kind: 'audience_note', releaseId: 1, dedupeKey: 'remind:1:100:3600000:ch:C1', payload: { releaseId: 1 }, notBefore: due },
        { kind: 'audience_note', releaseId: 1, dedupeKey: 'remind:10:100:3600000:ch:C1', payload: { releaseId: 1 }, notBefore: due },
      ],
      now,
    );
    expect(await claimOutbox(db, waiting!, now)).toEqual({ deferredUntil: due });
    const later = new Date(now.getTime() + 60_000);
    expect((await strandedOutbox(db, later, later)).map((r) => r.id)).not.toContain(waiting);
    expect((await strandedOutbox(db, due, due)).find((r) => r.id === waiting)).toMatchObject({ deferred: true });
    // 'remind:1:' is release 1's prefix only, never release 10's.
    expect(await withdrawDeferred(db, 1, 'remind:1:')).toEqual([waiting]);
    expect(await claimOutbox(db, waiting!, due)).toBe('done');
    expect(await claimOutbox(db, other!, due)).toMatchObject({ previousState: 'pending' });
    await completeOutbox(db, other!, {}, now);
  });

  it('pages through the effects still owed an attempt, so a relay pass over many reaches every one', async () => {
    const ids = await enqueueOutbox(db, Array.from({ length: 5 }, (_, i) => ({ kind: 'announce', releaseId: 1, dedupeKey: `announce:page:${i}`, payload: { releaseId: 1 } })), now);
    const later = new Date(now.getTime() + 1);
    const seen: number[] = [];
    for (let afterId = 0; ; ) {
      const page = await strandedOutbox(db, later, later, { afterId, limit: 2 });
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((row) => row.id));
      afterId = page[page.length - 1]!.id;
    }
    expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    for (const id of ids) await completeOutbox(db, id, {}, now);
  });

  it('recognises a redelivered Slack request', async () => {
    expect(await firstDelivery(db, 'trigger:abc', now)).toBe(true);
    expect(await firstDelivery(db, 'trigger:abc', now)).toBe(false);
  });

  it('keeps deploy locks: in force until removed or expired, each removed once', async () => {
    const hour = 3_600_000;
    const a = await insertLock(db, { service: 'ledger', targets: ['eu-1'], reason: 'migration', lockedBy: 'U0OPS', at: now, expiresAt: new Date(now.getTime() + hour) });
    const b = await insertLock(db, { service: 'ledger', targets: [], reason: 'audit', lockedBy: 'U0OPS', at: now, expiresAt: new Date(now.getTime() + 2 * hour) });
    expect((await activeLocks(db, now, 'ledger')).map((l) => [l.id, l.targets])).toEqual([[a.id, ['eu-1']], [b.id, []]]);
    expect((await activeLocks(db, new Date(now.getTime() + hour), 'ledger')).map((l) => l.id)).toEqual([b.id]);
    expect((await releaseLocks(db, [a.id, b.id], 'U0RM', now)).map((l) => l.id).sort()).toEqual([a.id, b.id].sort());
    expect(await releaseLocks(db, [a.id], 'U0RM', now)).toEqual([]);
    expect(await activeLocks(db, now, 'ledger')).toEqual([]);
  });

  it('reads the calendar, the rollouts under way or waiting to start, and recent failures in set-based queries', async () => {
    const at = (h: number) => new Date(now.getTime() + h * 3_600_000);
    const row = (version: string, state: string, planned: Date | null) => ({ ...releaseRow(version), service: 'search', state, planned_start: planned });
    const soon = await insertRelease(db, row('1.0.0', 'scheduled', at(2)));
    await insertRelease(db, row('1.1.0', 'scheduled', at(50)));
    const running = await insertRelease(db, row('1.2.0', 'in_progress', at(-30)));
    const waiting = await insertRelease(db, row('1.3.0', 'in_progress', at(-1)));
    await insertRelease(db, { ...row('0.9.0', 'failed', at(-40)), finished_at: at(-20) } as never);
    await insertRelease(db, { ...row('0.8.0', 'rolled_back', at(-900)), finished_at: at(-800) } as never);
    const step = await createStep(db, { releaseId: running.id, kind: 'deploy', waveIndex: 0, waveName: 'canary', try: 1, targets: ['eu-1'], deployer: 'manual', checklist: [], dueAt: at(-30) }, at(-30));
    await updateStepIf(db, step!.id, 'pending', { state: 'running', started_at: at(-30) });
    await createStep(db, { releaseId: waiting.id, kind: 'deploy', waveIndex: 0, waveName: 'canary', try: 1, targets: ['eu-1'], deployer: 'manual', checklist: [], dueAt: at(-1) }, at(-1));

    const calendar = (await liveReleasesBetween(db, now, at(24), LIVE_STATES)).filter((r) => r.service === 'search');
    expect(calendar.map((r) => r.id)).toEqual([running.id, waiting.id, soon.id]);
    expect((await rolloutsUnderWay(db)).map((r) => r.id)).toContain(running.id);
    expect((await rolloutsUnderWay(db)).map((r) => r.id)).not.toContain(waiting.id);
    expect((await rolloutsWaitingToStart(db, 'search')).map((r) => r.id)).toEqual([waiting.id]);
    expect(await recentFailureCount(db, 'search', at(-24 * 30))).toBe(1);
    await db.transaction().execute((trx) => lockRolloutStarts(trx));
  });
});
