import { sql, type Kysely } from 'kysely';

// Audit entries take their place from a sequence (writers no longer read the global tail), and each
// release's entries form their own hash chain; see src/core/audit.ts.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE SEQUENCE audit_log_seq OWNED BY audit_log.seq`.execute(db);
  await sql`SELECT setval('audit_log_seq', COALESCE((SELECT max(seq) FROM audit_log), 0) + 1, false)`.execute(db);
  await sql`ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE audit_log ALTER COLUMN seq DROP DEFAULT`.execute(db);
  await sql`DROP SEQUENCE IF EXISTS audit_log_seq`.execute(db);
}
