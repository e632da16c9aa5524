import type { CoreContext } from '../context.ts';
import type { ReleaseState, StoredRelease } from '../release.ts';
import { audienceEventOf, audiencePeople } from '../audience.ts';
import { policyApproval } from '../approvals.ts';
import { eligibleApprovers } from '../policy.ts';
import { policyOf } from '../settings.ts';
import { decisionsFor } from '../../store/repositories/decisions.ts';
import { HOME_REFRESH_MS } from '../home.ts';
import type { KpiReport } from '../kpi/definitions.ts';
import { kpiReport, resolveKpiQuery } from './kpi.ts';
import { listReleases } from '../../store/repositories/releases.ts';
import {
  anyHomeOpened,
  decidedCurrentRevision,
  homeOpeners,
  markHomePublished,
  recordHomeOpened,
  releasesEndedSince,
  releasesPlannedBefore,
  releasesRequestedBy,
} from '../../store/repositories/home.ts';

/** How far ahead "upcoming" looks, and how far back "recent outcomes" go. */
export const HOME_HORIZON_MS = 14 * 24 * 3_600_000;
/** At most this many rows of each list are read; the view shows fewer and says how many more there are. */
const LIST_LIMIT = 200;
/** A release change refreshes at most this many people's Home views. */
export const HOME_REFRESH_LIMIT = 500;

const ACTIVE: ReleaseState[] = ['draft', 'submitted', 'approved', 'rejected', 'scheduled', 'in_progress', 'paused'];
const UPCOMING: ReleaseState[] = ['scheduled', 'in_progress', 'paused'];
const OUTCOMES: ReleaseState[] = ['completed', 'failed', 'rolled_back'];

export interface PendingApproval {
  release: StoredRelease;
  /** Approvals standing for the current revision, and how many the policy needs. */
  approvals: number;
  required: number;
}

/** What one person's App Home shows, as of `at`. */
export interface HomeData {
  user: string;
  at: Date;
  /** Requests where this person may decide and has not, on the current revision; oldest request first. */
  pendingApprovals: PendingApproval[];
  /** Their own releases that are not over yet, the most recently changed first. */
  myReleases: StoredRelease[];
  /** Releases of the services whose audience they are in, starting within 14 days (or rolling out now). */
  upcoming: StoredRelease[];
  /** Completed, failed and rolled-back releases of the last 14 days: theirs, or of their audience services. */
  outcomes: StoredRelease[];
  /** The KPIs of the last HOME_KPI_DAYS days for every service, for the summary line (as `/release kpi 30d`). */
  kpi?: KpiReport;
}

/** How far back App Home's KPI line looks, for every service. */
export const HOME_KPI_DAYS = 30;

/** The last KPI report Home computed, per database: the same for everyone, so computed once per refresh window. */
const homeKpiCache = new WeakMap<object, { window: number; report: Promise<KpiReport> }>();

/**
 * Home's KPIs as of `at`, computed at most once per Home refresh window per database however many
 * people's Home one change republishes. A change's refreshes run once the window they were asked in
 * has ended, so the report they share is computed after the change and counts it.
 */
function homeKpis(ctx: CoreContext, at: Date): Promise<KpiReport> {
  const window = Math.floor(at.getTime() / (ctx.homeRefreshMs ?? HOME_REFRESH_MS));
  const cached = homeKpiCache.get(ctx.db);
  if (cached?.window === window) return cached.report;
  const report = kpiReport(ctx, resolveKpiQuery(ctx.settings, `${HOME_KPI_DAYS}d`, at));
  homeKpiCache.set(ctx.db, { window, report });
  // A failed report is not kept: the next Home asks again.
  report.catch(() => homeKpiCache.get(ctx.db)?.report === report && homeKpiCache.delete(ctx.db));
  return report;
}

/**
 * People as relm.yml names them, or none when Slack cannot say who is in a user group right now (a
 * group deleted, an outage): Home then shows less rather than nothing.
 */
async function peopleOrNone(ctx: CoreContext, entries: readonly string[]): Promise<Set<string>> {
  try {
    return new Set(await audiencePeople(entries, ctx.settings.groups, ctx.directory));
  } catch {
    return new Set();
  }
}

function serviceExists(ctx: CoreContext, key: string): boolean {
  return Object.hasOwn(ctx.settings.services, key);
}

/** The services whose `audience` names this person: directly, by a name under `groups:`, or in a Slack user group. */
export async function audienceServicesOf(ctx: CoreContext, user: string): Promise<string[]> {
  const services: string[] = [];
  for (const service of Object.values(ctx.settings.services)) {
    if ((await peopleOrNone(ctx, service.audience)).has(user)) services.push(service.key);
  }
  return services;
}

/** The people who may decide on a release now, under its policy's rule (the requester only where self-approval is allowed). */
async function approversOf(ctx: CoreContext, release: StoredRelease): Promise<Set<string> | undefined> {
  if (!serviceExists(ctx, release.service)) return undefined;
  const policy = policyOf(ctx.settings, release.service);
  const rule = policy.approvals[release.type];
  // Where Jira alone approves, nobody decides in Slack.
  if (!rule || policy.approvalSource === 'jira') return undefined;
  const approvers = await eligibleApprovers(rule, ctx.settings.groups, ctx.directory).catch(() => new Set<string>());
  if (!ctx.settings.approversCanSelfApprove) approvers.delete(release.requester);
  return approvers;
}

/** The requests this person can decide on and has not: the same rules the decision itself checks. */
async function pendingApprovalsOf(ctx: CoreContext, user: string): Promise<PendingApproval[]> {
  const submitted = await listReleases(ctx.db, { states: ['submitted'], limit: LIST_LIMIT });
  const mayDecide: StoredRelease[] = [];
  for (const release of submitted) if ((await approversOf(ctx, release))?.has(user)) mayDecide.push(release);
  const decided = await decidedCurrentRevision(ctx.db, user, mayDecide);
  const pending: PendingApproval[] = [];
  for (const release of mayDecide.filter((r) => !decided.has(r.id)).sort((a, b) => a.id - b.id)) {
    const policy = policyOf(ctx.settings, release.service);
    const required = policy.approvals[release.type]!.required;
    const status = policyApproval(policy.approvalSource, await decisionsFor(ctx.db, release.id, release.revision), release.revision, required, ctx.clock(), policy.approvalExpiresAfterMs);
    pending.push({ release, approvals: status.valid.length, required });
  }
  return pending;
}

/** Everything one person's App Home shows, read now on relm's clock. */
export async function homeFor(ctx: CoreContext, user: string): Promise<HomeData> {
  const at = ctx.clock();
  const services = await audienceServicesOf(ctx, user);
  return {
    user,
    at,
    pendingApprovals: await pendingApprovalsOf(ctx, user),
    myReleases: await releasesRequestedBy(ctx.db, user, ACTIVE, LIST_LIMIT),
    upcoming: await releasesPlannedBefore(ctx.db, services, UPCOMING, new Date(at.getTime() + HOME_HORIZON_MS), LIST_LIMIT),
    outcomes: await releasesEndedSince(ctx.db, { services, requester: user }, OUTCOMES, new Date(at.getTime() - HOME_HORIZON_MS), LIST_LIMIT),
    kpi: await homeKpis(ctx, at),
  };
}

/** A person opened App Home: remembered, so later changes refresh their view; returns what it shows. */
export async function openHome(ctx: CoreContext, user: string): Promise<HomeData> {
  await recordHomeOpened(ctx.db, user, ctx.clock());
  return homeFor(ctx, user);
}

/** A person's Home view was published as of `at`. */
export async function homePublished(ctx: CoreContext, user: string, at: Date): Promise<void> {
  await markHomePublished(ctx.db, user, at);
}

/**
 * The people whose Home a change to a release may alter, among those who ever opened it: its
 * requester, everyone who may decide on it (their pending list gains or loses it), and, when the
 * change is news for the audience (scheduled, started, done…), the people in its service's audience.
 * At most HOME_REFRESH_LIMIT of them, so one change never turns into an unbounded fan-out.
 */
export async function homeAudienceOf(ctx: CoreContext, release: StoredRelease, change: { action: string; before?: ReleaseState; after?: ReleaseState }): Promise<string[]> {
  // Nobody uses Home yet: no user group needs resolving through Slack to find out whose to refresh.
  if (!(await anyHomeOpened(ctx.db))) return [];
  const people = new Set<string>([release.requester]);
  const approvers = release.state === 'submitted' || change.before === 'submitted' ? await approversOf(ctx, release) : undefined;
  approvers?.forEach((u) => people.add(u));
  if (serviceExists(ctx, release.service) && audienceEventOf(change.action, change.before, change.after)) {
    (await peopleOrNone(ctx, ctx.settings.services[release.service]!.audience)).forEach((u) => people.add(u));
  }
  const users = [...people].filter((u) => /^[UW][A-Z0-9]+$/.test(u));
  const opened: string[] = [];
  for (let i = 0; i < users.length && opened.length < HOME_REFRESH_LIMIT; i += 1_000) opened.push(...(await homeOpeners(ctx.db, users.slice(i, i + 1_000))));
  return opened.slice(0, HOME_REFRESH_LIMIT);
}
