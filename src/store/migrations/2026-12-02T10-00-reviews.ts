import { sql, type Kysely } from 'kysely';

// Post-release reviews: one per release, changeable, searchable as the lessons knowledge base.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('reviews')
    .addColumn('release_id', 'integer', (c) => c.primaryKey().references('releases.id'))
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('editor', 'text', (c) => c.notNull())
    .addColumn('went_well', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('went_badly', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('lessons', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('actions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('raise_in_jira', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('edits', 'integer', (c) => c.notNull().defaultTo(0))
    // English stemming ("migrations" finds "migration"); the lessons weigh most, then what went wrong, well, and the actions.
    .addColumn('search', sql`tsvector`, (c) =>
      c.generatedAlwaysAs(
        sql`setweight(to_tsvector('english', lessons), 'A') || setweight(to_tsvector('english', went_badly), 'B') || setweight(to_tsvector('english', went_well || ' ' || actions::text), 'C')`,
      ).stored(),
    )
    .execute();
  await db.schema.createIndex('reviews_search').on('reviews').using('gin').column('search').execute();
  // The reminder sweep and the reviews-done/due counts look up releases by when their rollout finished.
  await db.schema.createIndex('releases_by_finished_at').on('releases').column('finished_at').where(sql.ref('finished_at'), 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('releases_by_finished_at').execute();
  await db.schema.dropTable('reviews').execute();
}
