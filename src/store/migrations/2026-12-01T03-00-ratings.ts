import { sql, type Kysely } from 'kysely';

// How a release went for the people it affected: one rating per person per release, changeable.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ratings')
    .addColumn('release_id', 'integer', (c) => c.notNull().references('releases.id'))
    .addColumn('rater', 'text', (c) => c.notNull())
    .addColumn('score', 'integer', (c) => c.notNull().check(sql`score BETWEEN 1 AND 5`))
    .addColumn('rated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('ratings_pkey', ['release_id', 'rater'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ratings').execute();
}
