import { sql, type Kysely } from 'kysely';

// The facts the KPIs read, kept on the release row so a report over a year reads one index range of
// releases and never the audit log or every step: how often the plan was revised after submission and
// after approval, how often it was rejected, when its rollout first failed, and the person-minutes its
// manual steps took. A trigger keeps them, so every path that changes a release (and the bench's
// set-based inserts) agrees. Also: when an incident was resolved, the first commit of each release
// (GitHub's compare of the previous tag), and the indexes the period queries use.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('releases')
    .addColumn('revised_after_submit', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revised_after_approval', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rejections', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed_at', 'timestamptz')
    .addColumn('manual_minutes', 'double precision')
    .execute();

  await sql`
    CREATE FUNCTION relm_release_facts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.revision > OLD.revision AND OLD.state IN ('submitted', 'approved', 'scheduled') THEN
        NEW.revised_after_submit := NEW.revised_after_submit + 1;
        IF OLD.state IN ('approved', 'scheduled') THEN
          NEW.revised_after_approval := NEW.revised_after_approval + 1;
        END IF;
      END IF;
      IF NEW.state = 'rejected' AND OLD.state <> 'rejected' THEN
        NEW.rejections := NEW.rejections + 1;
      END IF;
      IF NEW.finished_at IS NOT NULL AND NEW.finished_at IS DISTINCT FROM OLD.finished_at THEN
        SELECT coalesce(min(s.finished_at) FILTER (WHERE s.kind = 'deploy' AND s.state = 'failed'), min(s.created_at) FILTER (WHERE s.kind = 'rollback'))
          INTO NEW.failed_at FROM rollout_steps s WHERE s.release_id = NEW.id;
        SELECT sum(extract(epoch FROM (t.last_at - s.started_at)) / 60 * t.people)
          INTO NEW.manual_minutes
          FROM rollout_steps s
          CROSS JOIN LATERAL (SELECT max(k.at) AS last_at, count(DISTINCT k.actor) AS people FROM checklist_ticks k WHERE k.step_id = s.id) t
          WHERE s.release_id = NEW.id AND s.deployer = 'manual' AND s.started_at IS NOT NULL AND t.last_at IS NOT NULL;
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER releases_kpi_facts BEFORE UPDATE ON releases FOR EACH ROW EXECUTE FUNCTION relm_release_facts()`.execute(db);

  // The history before this migration, from the audit log and the decisions.
  await sql`
    UPDATE releases r SET revised_after_submit = a.after_submit, revised_after_approval = a.after_approval
    FROM (
      SELECT release_id,
        count(*) FILTER (WHERE before->>'state' IN ('submitted', 'approved', 'scheduled'))::int AS after_submit,
        count(*) FILTER (WHERE before->>'state' IN ('approved', 'scheduled'))::int AS after_approval
      FROM audit_log WHERE action = 'replanned' AND release_id IS NOT NULL GROUP BY release_id
    ) a
    WHERE a.release_id = r.id`.execute(db);
  await sql`
    UPDATE releases r SET rejections = d.n
    FROM (SELECT release_id, count(DISTINCT revision)::int AS n FROM decisions WHERE decision = 'reject' GROUP BY release_id) d
    WHERE d.release_id = r.id`.execute(db);
  await sql`
    UPDATE releases r SET
      failed_at = (SELECT coalesce(min(s.finished_at) FILTER (WHERE s.kind = 'deploy' AND s.state = 'failed'), min(s.created_at) FILTER (WHERE s.kind = 'rollback')) FROM rollout_steps s WHERE s.release_id = r.id),
      manual_minutes = (SELECT sum(extract(epoch FROM (t.last_at - s.started_at)) / 60 * t.people) FROM rollout_steps s
        CROSS JOIN LATERAL (SELECT max(k.at) AS last_at, count(DISTINCT k.actor) AS people FROM checklist_ticks k WHERE k.step_id = s.id) t
        WHERE s.release_id = r.id AND s.deployer = 'manual' AND s.started_at IS NOT NULL AND t.last_at IS NOT NULL)
    WHERE r.finished_at IS NOT NULL`.execute(db);

  await db.schema.alterTable('incidents').addColumn('resolved_at', 'timestamptz').execute();

  await db.schema
    .createTable('release_commits')
    .addColumn('release_id', 'integer', (c) => c.primaryKey().references('releases.id'))
    .addColumn('base', 'text', (c) => c.notNull())
    .addColumn('head', 'text', (c) => c.notNull())
    .addColumn('commits', 'integer', (c) => c.notNull())
    .addColumn('first_commit_at', 'timestamptz')
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // A period's releases, for all services or one: the range scans every KPI query starts from.
  await sql`CREATE INDEX releases_service_finished_at ON releases (service, finished_at) WHERE finished_at IS NOT NULL`.execute(db);
  await sql`CREATE INDEX unauthorised_versions_detected_at ON unauthorised_versions (detected_at)`.execute(db);
  await sql`CREATE INDEX incidents_release ON incidents (release_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS incidents_release`.execute(db);
  await sql`DROP INDEX IF EXISTS unauthorised_versions_detected_at`.execute(db);
  await sql`DROP INDEX IF EXISTS releases_service_finished_at`.execute(db);
  await db.schema.dropTable('release_commits').ifExists().execute();
  await db.schema.alterTable('incidents').dropColumn('resolved_at').execute();
  await sql`DROP TRIGGER IF EXISTS releases_kpi_facts ON releases`.execute(db);
  await sql`DROP FUNCTION IF EXISTS relm_release_facts()`.execute(db);
  for (const column of ['revised_after_submit', 'revised_after_approval', 'rejections', 'failed_at', 'manual_minutes']) {
    await db.schema.alterTable('releases').dropColumn(column).execute();
  }
}
