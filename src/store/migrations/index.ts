import type { Migration } from 'kysely/migration';
import * as foundation from './2026-11-23T00-00-foundation.ts';
import * as rollouts from './2026-11-23T01-00-rollouts.ts';
import * as auditChains from './2026-11-23T02-00-audit-chains.ts';
import * as configurationRecords from './2026-11-23T03-00-configuration-records.ts';
import * as outboxLease from './2026-11-23T04-00-outbox-lease.ts';
import * as githubDeployments from './2026-11-23T05-00-github-deployments.ts';
import * as jira from './2026-11-23T06-00-jira.ts';
import * as releaseAssets from './2026-11-23T07-00-release-assets.ts';
import * as incidents from './2026-11-23T08-00-incidents.ts';
import * as installation from './2026-12-01T00-00-installation.ts';
import * as trainingLinks from './2026-12-01T00-00-training-links.ts';
import * as deployedBy from './2026-12-01T01-00-deployed-by.ts';
import * as impactAndContact from './2026-12-01T02-00-impact-and-contact.ts';
import * as ratings from './2026-12-01T03-00-ratings.ts';
import * as personalNotices from './2026-12-02T00-00-personal-notices.ts';
import * as reviews from './2026-12-02T10-00-reviews.ts';
import * as homeViews from './2026-12-02T11-00-home-views.ts';
import * as ratingComments from './2026-12-02T11-10-rating-comments.ts';
import * as coordination from './2026-12-02T06-00-coordination.ts';
import * as outboxByRelease from './2026-12-02T12-00-outbox-by-release.ts';
import * as bundles from './2026-12-02T13-00-bundles.ts';
import * as kpiFacts from './2026-12-02T13-00-kpi-facts.ts';
import * as bundleRollout from './2026-12-03T00-00-bundle-rollout.ts';
import * as incidentRefs from './2026-12-03T00-00-incident-refs.ts';
import * as kpiReleaseCounts from './2026-12-03T01-00-kpi-release-counts.ts';
import * as kpiPeriodIndexes from './2026-12-03T02-00-kpi-period-indexes.ts';
import * as kpiRestoreIndex from './2026-12-03T03-00-kpi-restore-index.ts';
import * as incidentJiraOrder from './2026-12-04T00-00-incident-jira-order.ts';
import * as reviewChase from './2026-12-04T01-00-review-chase.ts';

/** Every migration, keyed by its ISO-dated name; Kysely's Migrator runs them in name order. */
export const migrations: Record<string, Migration> = {
  '2026-11-23T00-00-foundation': foundation,
  '2026-11-23T01-00-rollouts': rollouts,
  '2026-11-23T02-00-audit-chains': auditChains,
  '2026-11-23T03-00-configuration-records': configurationRecords,
  '2026-11-23T04-00-outbox-lease': outboxLease,
  '2026-11-23T05-00-github-deployments': githubDeployments,
  '2026-11-23T06-00-jira': jira,
  '2026-11-23T07-00-release-assets': releaseAssets,
  '2026-11-23T08-00-incidents': incidents,
  '2026-12-01T00-00-installation': installation,
  '2026-12-01T00-00-training-links': trainingLinks,
  '2026-12-01T01-00-deployed-by': deployedBy,
  '2026-12-01T02-00-impact-and-contact': impactAndContact,
  '2026-12-01T03-00-ratings': ratings,
  '2026-12-02T00-00-personal-notices': personalNotices,
  '2026-12-02T06-00-coordination': coordination,
  '2026-12-02T10-00-reviews': reviews,
  '2026-12-02T11-00-home-views': homeViews,
  '2026-12-02T11-10-rating-comments': ratingComments,
  '2026-12-02T12-00-outbox-by-release': outboxByRelease,
  '2026-12-02T13-00-bundles': bundles,
  '2026-12-02T13-00-kpi-facts': kpiFacts,
  '2026-12-03T00-00-bundle-rollout': bundleRollout,
  '2026-12-03T00-00-incident-refs': incidentRefs,
  '2026-12-03T01-00-kpi-release-counts': kpiReleaseCounts,
  '2026-12-03T02-00-kpi-period-indexes': kpiPeriodIndexes,
  '2026-12-03T03-00-kpi-restore-index': kpiRestoreIndex,
  '2026-12-04T00-00-incident-jira-order': incidentJiraOrder,
  '2026-12-04T01-00-review-chase': reviewChase,
};
