import { sql, type Kysely } from 'kysely';

// A required review is chased until it is written, so the minute sweep must find the reviews whose next
// reminder is due without reading every finished release of the history: each release keeps the time
// its review is next looked at, from its finish on (a trigger sets it whenever a rollout ends, by any
// path), and the sweep reads the due ones off a small partial index and moves each to its next round,
// or clears it when no review is needed or one is written.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE releases ADD COLUMN review_chase_at timestamptz`.execute(db);
  await sql`CREATE INDEX releases_review_chase ON releases (review_chase_at, id) WHERE review_chase_at IS NOT NULL`.execute(db);
  await sql`
    CREATE FUNCTION relm_review_chase() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.finished_at IS NOT NULL AND NEW.finished_at IS DISTINCT FROM OLD.finished_at AND NOT NEW.reviewed THEN
        NEW.review_chase_at := NEW.finished_at;
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER releases_review_chase BEFORE UPDATE OF finished_at ON releases FOR EACH ROW EXECUTE FUNCTION relm_review_chase()`.execute(db);
  // The unreviewed releases of the last 90 days are looked at again (the sweep keeps the required ones,
  // at the round each has reached, then weekly): more than four rounds of any usual review_after, so none
  // still being chased is dropped. Older ones stay as the four-round rule left them: taking them all up
  // would greet an upgrade with a DM for every unreviewed release of the history.
  await sql`UPDATE releases SET review_chase_at = finished_at WHERE finished_at > now() - interval '90 days' AND state IN ('completed', 'failed', 'rolled_back') AND NOT reviewed`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS releases_review_chase ON releases`.execute(db);
  await sql`DROP FUNCTION IF EXISTS relm_review_chase()`.execute(db);
  await sql`DROP INDEX IF EXISTS releases_review_chase`.execute(db);
  await sql`ALTER TABLE releases DROP COLUMN IF EXISTS review_chase_at`.execute(db);
}
