import { sql, type Kysely } from 'kysely';

// More of the facts a KPI report reads, kept on the release row like those of the kpi-facts migration:
// how many incidents it caused, the sum and number of its ratings, its first commit, and whether it has
// a post-release review. A report then counts a period's releases from one index without looking up
// each one's incidents, ratings, commits and review (bench:kpi: on a million releases, a third of a
// 30-day report's time, and over a year sequential scans of ratings, release_commits and reviews).
// Triggers on those tables keep them, so every path that records an incident, a rating, the commits or
// a review agrees; the mean rating is total ÷ count, as the mean of the ratings themselves.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('releases')
    .addColumn('incident_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rating_total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rating_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('first_commit_at', 'timestamptz')
    .addColumn('reviewed', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();

  await sql`
    CREATE FUNCTION relm_release_incident_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE releases SET incident_count = incident_count - 1 WHERE id = OLD.release_id;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE releases SET incident_count = incident_count + 1 WHERE id = NEW.release_id;
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER incidents_release_count AFTER INSERT OR DELETE OR UPDATE OF release_id ON incidents FOR EACH ROW EXECUTE FUNCTION relm_release_incident_count()`.execute(db);

  await sql`
    CREATE FUNCTION relm_release_rating_total() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE releases SET rating_total = rating_total - OLD.score, rating_count = rating_count - 1 WHERE id = OLD.release_id;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE releases SET rating_total = rating_total + NEW.score, rating_count = rating_count + 1 WHERE id = NEW.release_id;
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  // A changed rating (the upsert's DO UPDATE) comes off the total and goes back on with its new score.
  await sql`CREATE TRIGGER ratings_release_total AFTER INSERT OR DELETE OR UPDATE OF release_id, score ON ratings FOR EACH ROW EXECUTE FUNCTION relm_release_rating_total()`.execute(db);

  await sql`
    CREATE FUNCTION relm_release_first_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE releases SET first_commit_at = NULL WHERE id = OLD.release_id;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE releases SET first_commit_at = NEW.first_commit_at WHERE id = NEW.release_id;
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER release_commits_first_commit AFTER INSERT OR DELETE OR UPDATE OF release_id, first_commit_at ON release_commits FOR EACH ROW EXECUTE FUNCTION relm_release_first_commit()`.execute(db);

  await sql`
    CREATE FUNCTION relm_release_reviewed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE releases SET reviewed = false WHERE id = OLD.release_id;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE releases SET reviewed = true WHERE id = NEW.release_id;
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER reviews_release_reviewed AFTER INSERT OR DELETE OR UPDATE OF release_id ON reviews FOR EACH ROW EXECUTE FUNCTION relm_release_reviewed()`.execute(db);

  // The history before this migration.
  await sql`UPDATE releases r SET incident_count = i.n FROM (SELECT release_id, count(*)::int AS n FROM incidents GROUP BY release_id) i WHERE i.release_id = r.id`.execute(db);
  await sql`UPDATE releases r SET rating_total = g.total, rating_count = g.n FROM (SELECT release_id, sum(score)::int AS total, count(*)::int AS n FROM ratings GROUP BY release_id) g WHERE g.release_id = r.id`.execute(db);
  await sql`UPDATE releases r SET first_commit_at = c.first_commit_at FROM release_commits c WHERE c.release_id = r.id AND c.first_commit_at IS NOT NULL`.execute(db);
  await sql`UPDATE releases r SET reviewed = true FROM reviews v WHERE v.release_id = r.id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS reviews_release_reviewed ON reviews`.execute(db);
  await sql`DROP FUNCTION IF EXISTS relm_release_reviewed()`.execute(db);
  await sql`DROP TRIGGER IF EXISTS release_commits_first_commit ON release_commits`.execute(db);
  await sql`DROP TRIGGER IF EXISTS ratings_release_total ON ratings`.execute(db);
  await sql`DROP TRIGGER IF EXISTS incidents_release_count ON incidents`.execute(db);
  await sql`DROP FUNCTION IF EXISTS relm_release_first_commit()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS relm_release_rating_total()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS relm_release_incident_count()`.execute(db);
  for (const column of ['incident_count', 'rating_total', 'rating_count', 'first_commit_at', 'reviewed']) {
    await db.schema.alterTable('releases').dropColumn(column).execute();
  }
}
