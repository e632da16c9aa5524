import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { DB, ReviewsTable } from '../schema.ts';
import type { Review, ReviewRequirement } from '../../core/review.ts';
import { DEFAULT_REQUIRE_REVIEW, FINISHED_STATES } from '../../core/review.ts';
import type { StoredRelease } from '../../core/release.ts';
import { toRelease } from './releases.ts';

type Db = Kysely<DB> | Transaction<DB>;

function toReview(row: Omit<Selectable<ReviewsTable>, 'search'>): Review {
  return {
    releaseId: row.release_id,
    author: row.author,
    editor: row.editor,
    wentWell: row.went_well,
    wentBadly: row.went_badly,
    lessons: row.lessons,
    actions: row.actions,
    raiseInJira: row.raise_in_jira,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    edits: row.edits,
  };
}

const COLUMNS = ['release_id', 'author', 'editor', 'went_well', 'went_badly', 'lessons', 'actions', 'raise_in_jira', 'created_at', 'updated_at', 'edits'] as const;

export async function findReview(db: Db, releaseId: number): Promise<Review | undefined> {
  const row = await db.selectFrom('reviews').select(COLUMNS).where('release_id', '=', releaseId).executeTakeFirst();
  return row ? toReview(row) : undefined;
}

export type ReviewText = Pick<Review, 'wentWell' | 'wentBadly' | 'lessons' | 'actions' | 'raiseInJira'>;

/**
 * Writes a release's review: the first submission creates it, a later one replaces its text and counts
 * an edit. Run under the release's row lock (the use case holds it), so two submissions take turns.
 */
export async function saveReview(trx: Transaction<DB>, releaseId: number, editor: string, text: ReviewText, at: Date): Promise<{ review: Review; before: Review | undefined }> {
  const before = await findReview(trx, releaseId);
  const values = { went_well: text.wentWell, went_badly: text.wentBadly, lessons: text.lessons, actions: JSON.stringify(text.actions), raise_in_jira: text.raiseInJira, editor, updated_at: at };
  const row = before
    ? await trx.updateTable('reviews').set({ ...values, edits: before.edits + 1 }).where('release_id', '=', releaseId).returning(COLUMNS).executeTakeFirstOrThrow()
    : await trx.insertInto('reviews').values({ ...values, release_id: releaseId, author: editor, created_at: at }).returning(COLUMNS).executeTakeFirstOrThrow();
  return { review: toReview(row), before };
}

export interface LessonMatch {
  releaseId: number;
  service: string;
  version: string;
  title: string;
  finishedAt: Date | null;
  state: string;
  lessons: string;
  /** Where the words matched, with each match between \u0001 and \u0002 (the renderer escapes the text, then marks them). */
  headline: string;
  rank: number;
}

/** Marks ts_headline puts around each match: control characters no reviewer types, so escaping cannot be fooled. */
export const MATCH_START = '\u0001';
export const MATCH_END = '\u0002';

/**
 * Past reviews matching the words (web-search syntax: `"exact phrase"`, `or`, `-not`), best first, with
 * English stemming: PostgreSQL full text search over the GIN-indexed `search` column, the same on PGlite.
 */
export async function searchLessons(db: Db, words: string, options: { limit?: number; services?: string[] } = {}): Promise<LessonMatch[]> {
  const limit = options.limit ?? 10;
  const services = options.services;
  // The headline is the costly part: made for the rows kept, after ranking and the limit.
  const result = await sql<{ release_id: number; service: string; version: string; title: string; finished_at: Date | null; state: string; lessons: string; headline: string; rank: number }>`
    WITH q AS (SELECT websearch_to_tsquery('english', ${words}) AS q),
    best AS (
      SELECT rv.release_id, r.service, r.version, r.title, r.finished_at, r.state, rv.lessons, rv.went_badly, rv.went_well, ts_rank(rv.search, q.q) AS rank
      FROM reviews rv JOIN releases r ON r.id = rv.release_id, q
      WHERE rv.search @@ q.q ${services?.length ? sql`AND r.service = ANY(${services}::text[])` : sql``}
      ORDER BY rank DESC, rv.release_id DESC
      LIMIT ${limit}
    )
    SELECT best.release_id, best.service, best.version, best.title, best.finished_at, best.state, best.lessons, best.rank,
      ts_headline('english', concat_ws(E'\n', nullif(best.lessons, ''), nullif(best.went_badly, ''), nullif(best.went_well, '')), q.q,
        ${`StartSel=${MATCH_START}, StopSel=${MATCH_END}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`}) AS headline
    FROM best, q
    ORDER BY best.rank DESC, best.release_id DESC`.execute(db);
  return result.rows.map((row) => ({
    releaseId: row.release_id,
    service: row.service,
    version: row.version,
    title: row.title,
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    state: row.state,
    lessons: row.lessons,
    headline: row.headline,
    rank: Number(row.rank),
  }));
}

/** Which finished releases of a service must be reviewed (its policy's `require_review`). */
export interface ReviewRule {
  service: string;
  requireReview: readonly ReviewRequirement[];
}

/**
 * Reviews done and due among the releases whose rollout finished in [from, to), for the given services
 * (all when none are given): `done` counts releases with a review, `due` those the rules require a
 * review of that have none yet. A service without a rule takes the policy default (failed, rolled back,
 * emergency). One set-based query over the period's releases, whatever the history's size: whether a
 * release has a review is kept on it by a trigger (kpi-release-counts migration).
 */
export async function reviewCounts(db: Db, filter: { from: Date; to: Date; services?: string[]; rules?: ReviewRule[] }): Promise<{ done: number; due: number }> {
  const services = filter.services?.length ? filter.services : null;
  // The states are literals, not parameters, so the planner can prove the ended-releases index applies.
  // Whether a release is due is decided row by row, with one branch per distinct rule (most
  // organisations have one or two) holding the array of services that follow it, so the count is a
  // plain aggregate over the period's index range instead of a grouping by service, state and type.
  const byRule = new Map<string, { requirements: readonly ReviewRequirement[]; services: string[] }>();
  for (const rule of filter.rules ?? []) {
    const key = [...new Set(rule.requireReview)].sort().join(',');
    const entry = byRule.get(key) ?? { requirements: rule.requireReview, services: [] };
    entry.services.push(rule.service);
    byRule.set(key, entry);
  }
  const branches = [...byRule.values()].map((rule) => sql`WHEN r.service = ANY(${rule.services}::text[]) THEN ${requires(rule.requirements)}`);
  const due = branches.length ? sql`CASE ${sql.join(branches, sql` `)} ELSE ${requires(DEFAULT_REQUIRE_REVIEW)} END` : requires(DEFAULT_REQUIRE_REVIEW);
  const result = await sql<{ done: number; due: number }>`
    SELECT count(*) FILTER (WHERE r.reviewed)::int AS done, count(*) FILTER (WHERE NOT r.reviewed AND ${due})::int AS due
    FROM releases r
    WHERE r.state IN (${sql.join(FINISHED_STATES.map((state) => sql.lit(state)))}) AND r.finished_at >= ${filter.from} AND r.finished_at < ${filter.to}
      ${services ? sql`AND r.service = ANY(${services}::text[])` : sql``}`.execute(db);
  const row = result.rows[0];
  return { done: Number(row?.done ?? 0), due: Number(row?.due ?? 0) };
}

/** The condition under which a finished release needs a review, for one `require_review` list. */
function requires(requirements: readonly ReviewRequirement[]) {
  if (requirements.includes('all')) return sql`true`;
  const states = requirements.filter((r) => r !== 'emergency');
  const conditions = [
    ...(states.length ? [sql`r.state IN (${sql.join(states.map((state) => sql.lit(state)))})`] : []),
    ...(requirements.includes('emergency') ? [sql`r.type = 'emergency'`] : []),
  ];
  return conditions.length ? sql`(${sql.join(conditions, sql` OR `)})` : sql`false`;
}

/**
 * The releases whose review the reminder sweep is to look at by `now`, longest waiting first, off the
 * partial index on `review_chase_at` (set when a rollout ends): a page at a time, as the sweep moves
 * each one it looks at past `now` or clears it.
 */
export async function reviewChasesDue(db: Db, now: Date, limit = 500): Promise<(StoredRelease & { reviewed: boolean; reviewChaseAt: Date })[]> {
  const rows = await db
    .selectFrom('releases')
    .selectAll('releases')
    .where('review_chase_at', 'is not', null)
    .where('review_chase_at', '<=', now)
    .orderBy('review_chase_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...toRelease(row), reviewed: row.reviewed, reviewChaseAt: row.review_chase_at! }));
}

/**
 * When the sweep looks at each of these releases next (null: never again), in one statement; only where
 * it is still the time the sweep read (`seen`): a rollout that ended again meanwhile (a rollback after a
 * failure) set a new one, which stands.
 */
export async function setReviewChases(db: Db, next: { releaseId: number; seen: Date; at: Date | null }[]): Promise<void> {
  if (next.length === 0) return;
  await sql`
    UPDATE releases r SET review_chase_at = v.at
    FROM unnest(${next.map((n) => n.releaseId)}::int[], ${next.map((n) => n.seen.toISOString())}::timestamptz[], ${next.map((n) => n.at?.toISOString() ?? null)}::timestamptz[]) AS v(id, seen, at)
    WHERE r.id = v.id AND date_trunc('milliseconds', r.review_chase_at) = v.seen`.execute(db);
}
