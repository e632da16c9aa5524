import { sql, type Kysely } from 'kysely';

// An optional comment with each person's rating of a release, changeable like the rating; at most
// 1,000 characters (RATING_COMMENT_MAX in core/usecases/rate.ts checks it first, with a clear answer).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('ratings')
    .addColumn('comment', 'text', (c) => c.check(sql`char_length(comment) <= 1000`))
    .addColumn('commented_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ratings').dropColumn('commented_at').dropColumn('comment').execute();
}
