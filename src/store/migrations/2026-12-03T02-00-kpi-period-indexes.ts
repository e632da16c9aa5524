import { sql, type Kysely } from 'kysely';

// Indexes that let a KPI report read only the releases of its period, and only from indexes, however
// long the history (bench:kpi: a million releases over three years). The ended releases by when they
// ended, carrying every column the figures use (with the counts of the kpi-release-counts migration),
// so a period is one index-only range scan instead of a heap read per release or, over a year, a
// sequential scan of the whole table; and the few without test evidence in their own small index,
// since that text cannot be carried in one.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE INDEX releases_ended_kpi ON releases (finished_at)
    INCLUDE (id, service, state, type, planned_start, started_at, created_at, submitted_at, approved_at, failed_at,
      reschedule_count, revised_after_submit, revised_after_approval, rejections, manual_minutes,
      incident_count, rating_total, rating_count, first_commit_at, reviewed)
    WHERE state IN ('completed', 'failed', 'rolled_back')`.execute(db);
  await sql`
    CREATE INDEX releases_ended_without_test_evidence ON releases (finished_at) INCLUDE (service)
    WHERE btrim(test_evidence) = '' AND state IN ('completed', 'failed', 'rolled_back')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS releases_ended_without_test_evidence`.execute(db);
  await sql`DROP INDEX IF EXISTS releases_ended_kpi`.execute(db);
}
