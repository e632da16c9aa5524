import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/store.ts';
import pino from 'pino';
import type { Database } from '../../src/store/database.ts';
import { insertRelease } from '../../src/store/repositories/releases.ts';
import { enqueueOutbox } from '../../src/store/repositories/outbox.ts';
import { loadRelmFile } from '../../src/config/relm-file.ts';
import { GitHubCodeHost } from '../../src/integrations/github/github-code-host.ts';
import { CodeHostRejectedError } from '../../src/core/ports/code-host.ts';
import { performEffect } from '../../src/core/effects/perform.ts';
import { EffectNotReadyError } from '../../src/core/effects/errors.ts';
import { firstCommitTime, releaseCommitsEffects } from '../../src/core/release-commits.ts';
import { figure } from '../../src/core/kpi/definitions.ts';
import { kpiReport } from '../../src/core/usecases/kpi.ts';
import { releaseDetail } from '../../src/core/usecases/queries.ts';
import { renderCard } from '../../src/bot/blocks/card.ts';
import type { CoreContext } from '../../src/core/context.ts';
import type { EffectPorts } from '../../src/core/ports/effect-ports.ts';
import type { StoredRelease } from '../../src/core/release.ts';
import { FIXTURE_CONFIG } from '../support/harness.ts';
import { FakeGitHub } from '../support/fake-github.ts';

// The lead time for changes from the first commit of a release, by GitHub's compare of the previous
// tag. relm's clock is fixed in 2026; the commits' dates are set relative to it.
const NOW = new Date('2026-11-20T12:00:00Z');
const H = 3_600_000;
const DAY = 24 * H;
const REPO = 'acme/payments';

const host = (github: FakeGitHub) => new GitHubCodeHost({ token: 'ghp_test', apiUrl: github.url, log: pino({ level: 'silent' }), retryBaseMs: 5, timeoutMs: 5_000 });

describe('GitHub compare, through Octokit against the fake GitHub (the wire format and its paging)', () => {
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await new FakeGitHub().start();
    // 250 commits a minute apart; v1 at the 10th, v2 at the 240th.
    const shas = github.addCommits('acme/big', Array.from({ length: 250 }, (_, i) => ({ authoredAt: new Date(NOW.getTime() - (250 - i) * 60_000), committedAt: new Date(NOW.getTime() - (250 - i) * 30_000) })));
    github.tag('acme/big', 'v1', shas[9]);
    github.tag('acme/big', 'v2', shas[239]);
  });
  afterAll(async () => github?.stop());

  it('pages through the comparison oldest first, a hundred a page, with both dates of each commit', async () => {
    const before = github.calls.length;
    const all = await host(github).compareCommits('acme/big', 'v1', 'v2');
    expect(all!.total).toBe(230);
    expect(all!.commits).toHaveLength(230);
    expect(all!.commits[0]!.authoredAt).toEqual(new Date(NOW.getTime() - 240 * 60_000));
    expect(all!.commits[0]!.committedAt).toEqual(new Date(NOW.getTime() - 240 * 30_000));
    expect(all!.commits.at(-1)!.authoredAt).toEqual(new Date(NOW.getTime() - 11 * 60_000));
    const calls = github.calls.slice(before);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(Array(3).fill('GET /repos/acme/big/compare/v1...v2'));
    expect(calls.every((c) => c.auth === 'token ghp_test')).toBe(true);
  });

  it('stops at the most it is asked to read, still counting every commit', async () => {
    const some = await host(github).compareCommits('acme/big', 'v1', 'v2', { maxCommits: 150 });
    expect(some).toMatchObject({ total: 230 });
    expect(some!.commits).toHaveLength(150);
    expect(await host(github).compareCommits('acme/big', 'v2', 'v2')).toEqual({ total: 0, commits: [] });
  });

  it('answers undefined for a tag GitHub does not have, retries a 5xx, and refuses for good on a 401', async () => {
    expect(await host(github).compareCommits('acme/big', 'v1', 'v9')).toBeUndefined();
    expect(await host(github).compareCommits('acme/nosuch', 'v1', 'v2')).toBeUndefined();
    github.faults.push({ status: 502, path: /compare/ });
    expect((await host(github).compareCommits('acme/big', 'v1', 'v2', { maxCommits: 1 }))!.total).toBe(230);
    github.faults.push({ status: 401, path: /compare/, body: { message: 'Bad credentials' } });
    await expect(host(github).compareCommits('acme/big', 'v1', 'v2')).rejects.toBeInstanceOf(CodeHostRejectedError);
  });
});

describe('the first commit of a change', () => {
  it('is the earliest author date of its commits, wherever it is listed; the committer date where there is no author date', () => {
    const at = (h: number) => new Date(NOW.getTime() - h * H);
    expect(firstCommitTime([{ sha: 'a', authoredAt: at(2), committedAt: at(1) }, { sha: 'b', authoredAt: at(30), committedAt: at(1) }, { sha: 'c', authoredAt: null, committedAt: at(5) }])).toEqual(at(30));
    expect(firstCommitTime([{ sha: 'c', authoredAt: null, committedAt: at(5) }])).toEqual(at(5));
    expect(firstCommitTime([])).toBeNull();
  });
});

describe.each(['postgres', 'pglite'] as const)('release commits for the lead time, as an outbox effect, on %s', (kind) => {
  let db: Database;
  let drop: (() => Promise<void>) | undefined;
  let github: FakeGitHub;
  let ctx: CoreContext;
  let ports: EffectPorts;
  const settings = loadRelmFile(FIXTURE_CONFIG).settings;

  function completed(version: string, finished: Date, service = 'payments', state = 'completed') {
    return insertRelease(db, {
      service, version, type: 'minor', title: version, description: '', risk: 'low', planned_start: new Date(finished.getTime() - 2 * H), deployment_model: 'two-waves',
      rollback_plan: 'r', test_evidence: 'ci', training_needed: false, requester: 'U0DEV', state, card_channel: null, card_ts: null,
      created_at: new Date(finished.getTime() - 2 * DAY), updated_at: finished, submitted_at: new Date(finished.getTime() - DAY), approved_at: new Date(finished.getTime() - 3 * H),
      started_at: new Date(finished.getTime() - 2 * H), finished_at: finished,
    });
  }

  /** Writes the effect the completion of `release` asks for and performs it once. */
  async function perform(release: StoredRelease) {
    const [message] = releaseCommitsEffects(ctx, release, 'rollout_completed');
    await enqueueOutbox(db, [message!], NOW);
    const row = await db.selectFrom('outbox').select('id').where('dedupe_key', '=', message!.dedupeKey).executeTakeFirstOrThrow();
    return { id: row.id, outcome: () => performEffect(ctx, ports, row.id) };
  }

  const commitsOf = (id: number) => db.selectFrom('release_commits').selectAll().where('release_id', '=', id).executeTakeFirst();
  const outboxRow = (id: number) => db.selectFrom('outbox').select(['state', 'result', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow();

  beforeAll(async () => {
    ({ db, drop } = await openTestStore(kind));
    github = await new FakeGitHub().start();
    ctx = { db, settings, directory: {} as CoreContext['directory'], effects: { dispatch: async () => {} }, clock: () => NOW, github: true };
    // Only the code host is used by this effect.
    ports = { codeHost: host(github) } as unknown as EffectPorts;
  }, 60_000);

  afterAll(async () => {
    await github?.stop();
    await db?.destroy();
    await drop?.();
  });

  it('records how many commits a release shipped since the previous tag and when the first was written; the lead time runs from there', async () => {
    const at = (h: number) => new Date(NOW.getTime() - h * H);
    // Three commits up to v1.0.0; then 150 for 1.1.0, written 100 h to 10 h ago, except one brought in
    // from an old branch, written 300 h ago and listed on the second page.
    const old = github.addCommits(REPO, [{ authoredAt: at(400) }, { authoredAt: at(390) }, { authoredAt: at(380) }]);
    github.tag(REPO, 'v1.0.0', old[2]);
    github.addCommits(REPO, Array.from({ length: 150 }, (_, i) => ({ authoredAt: i === 120 ? at(300) : at(100 - (90 * i) / 149), committedAt: at(5) })));
    github.tag(REPO, 'v1.1.0');

    const first = await completed('1.0.0', at(200));
    expect(await (await perform(first)).outcome()).toBe('done');
    // The first completed release has nothing to compare with: it counts from its plan.
    expect(await commitsOf(first.id)).toBeUndefined();

    // A release of another service and a rolled-back one of payments are no previous tag.
    await completed('7.0.0', at(50), 'search');
    await completed('1.0.9', at(40), 'payments', 'rolled_back');
    const second = await completed('1.1.0', at(1));
    const effect = await perform(second);
    expect(await effect.outcome()).toBe('done');
    expect(await commitsOf(second.id)).toMatchObject({ base: 'v1.0.0', head: 'v1.1.0', commits: 150, first_commit_at: at(300) });
    expect((await outboxRow(effect.id)).result).toMatchObject({ base: 'v1.0.0', head: 'v1.1.0', commits: 150, read: 150, firstCommitAt: at(300).toISOString() });

    // Lead time: finished 1 h ago − first commit 300 h ago = 299 h (the first release's plan→production is outside the period).
    const report = await kpiReport(ctx, { from: at(24), to: NOW, services: ['payments'], label: 'test' });
    expect(figure(report, 'lead_time').value).toBeCloseTo(299, 6);

    // Asked for again (a second completion event, a redelivery): one row, performed once.
    expect(await enqueueOutbox(db, releaseCommitsEffects(ctx, second, 'rollout_completed'), NOW)).toEqual([]);
    const calls = github.calls.length;
    expect(await effect.outcome()).toBe('already_done');
    expect(github.calls.length).toBe(calls);
  });

  it('is only delayed by a GitHub outage: tried again until GitHub answers', async () => {
    github.addCommits(REPO, [{ authoredAt: new Date(NOW.getTime() - 20 * H) }]);
    github.tag(REPO, 'v1.2.0');
    const release = await completed('1.2.0', new Date(NOW.getTime() - H / 2));
    const effect = await perform(release);
    github.outage = 503;
    try {
      await expect(effect.outcome()).rejects.toThrow();
      await expect(effect.outcome()).rejects.toThrow();
    } finally {
      github.outage = undefined;
    }
    expect(await outboxRow(effect.id)).toMatchObject({ state: 'sending', attempts: 2 });
    expect(await commitsOf(release.id)).toBeUndefined();
    expect(await effect.outcome()).toBe('done');
    expect(await commitsOf(release.id)).toMatchObject({ base: 'v1.1.0', head: 'v1.2.0', commits: 1, first_commit_at: new Date(NOW.getTime() - 20 * H) });
  });

  it('waits for relm to publish the release (which makes its tag), and for a tag GitHub does not have yet', async () => {
    github.addCommits(REPO, [{ authoredAt: new Date(NOW.getTime() - 30 * H) }, { authoredAt: new Date(NOW.getTime() - 10 * H) }]);
    const release = await completed('1.3.0', new Date(NOW.getTime() - H / 4));
    const [publish] = await enqueueOutbox(db, [{ kind: 'github_publish', releaseId: release.id, dedupeKey: `github:publish:${release.id}:1.3.0`, payload: { releaseId: release.id, version: '1.3.0' } }], NOW);
    const effect = await perform(release);
    const calls = github.calls.length;
    await expect(effect.outcome()).rejects.toBeInstanceOf(EffectNotReadyError);
    // GitHub was not asked while the publish was pending.
    expect(github.calls.length).toBe(calls);
    await db.updateTable('outbox').set({ state: 'done' }).where('id', '=', publish!).execute();
    // Published, but the tag is not there yet (CI pushes it late): still waiting, not failed.
    await expect(effect.outcome()).rejects.toThrow('GitHub has no v1.2.0 or no v1.3.0 in acme/payments');
    expect((await outboxRow(effect.id)).state).toBe('sending');
    github.tag(REPO, 'v1.3.0');
    expect(await effect.outcome()).toBe('done');
    expect(await commitsOf(release.id)).toMatchObject({ base: 'v1.2.0', head: 'v1.3.0', commits: 2, first_commit_at: new Date(NOW.getTime() - 30 * H) });
  });

  it('shows on the card when GitHub refuses the comparison for good, saying the lead time counts from the plan', async () => {
    github.addCommits(REPO, [{ authoredAt: new Date(NOW.getTime() - 40 * H) }]);
    github.tag(REPO, 'v1.3.5');
    const release = await completed('1.3.5', new Date(NOW.getTime() - H / 8));
    const effect = await perform(release);
    github.faults.push({ status: 401, path: /compare/, body: { message: 'Bad credentials' } });
    expect(await effect.outcome()).toBe('failed');
    expect(await commitsOf(release.id)).toBeUndefined();
    // The card is asked to show it, once, and does.
    const refresh = await db.selectFrom('outbox').select('kind').where('dedupe_key', '=', `card:${release.id}:sync-failed:${effect.id}`).execute();
    expect(refresh).toEqual([{ kind: 'card' }]);
    const card = JSON.stringify(renderCard(await releaseDetail(ctx, release.id)).blocks);
    expect(card).toContain(':warning: github commits failed:');
    expect(card).toContain('the lead time counts from the plan');
  });

  it('is asked for only when a rollout completes, for a service with a github_repo, with GitHub on', async () => {
    const release = await completed('1.4.0', NOW);
    expect(releaseCommitsEffects(ctx, release, 'rollout_completed')).toEqual([
      { kind: 'github_commits', releaseId: release.id, dedupeKey: `github:commits:${release.id}:1.4.0`, payload: { releaseId: release.id, version: '1.4.0' } },
    ]);
    expect(releaseCommitsEffects(ctx, release, 'rolled_back')).toEqual([]);
    expect(releaseCommitsEffects({ ...ctx, github: false }, release, 'rollout_completed')).toEqual([]);
    expect(releaseCommitsEffects(ctx, { ...release, service: 'search' }, 'rollout_completed')).toEqual([]);
  });
});
