import type { Kysely } from 'kysely';

// A bundle's rollout: members start in order, the bundle pauses on a failed member, and a member the
// bundle was told to go past ("continue") is marked, so the next one may start. The bundle's card lives
// in the channel it was created in, like a release's card.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('bundles')
    .addColumn('channel', 'text')
    .addColumn('card_channel', 'text')
    .addColumn('card_ts', 'text')
    .addColumn('rollout_note', 'text')
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    // The bundle's own ticket in Jira, listing its members' changes.
    .addColumn('jira_key', 'text')
    .execute();
  await db.schema.alterTable('bundle_members').addColumn('passed_by', 'text').addColumn('passed_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('bundle_members').dropColumn('passed_at').dropColumn('passed_by').execute();
  await db.schema
    .alterTable('bundles')
    .dropColumn('jira_key')
    .dropColumn('finished_at')
    .dropColumn('started_at')
    .dropColumn('rollout_note')
    .dropColumn('card_ts')
    .dropColumn('card_channel')
    .dropColumn('channel')
    .execute();
}
