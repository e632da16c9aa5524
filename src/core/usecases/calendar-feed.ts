import type { CoreContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { occupancyOf } from '../conflicts.ts';
import { releaseKey, type ReleaseState } from '../release.ts';
import { postedCard } from './card-ref.ts';
import { feedReleases } from '../../store/repositories/releases.ts';

export interface FeedEntry {
  id: number;
  key: string;
  title: string;
  service: string;
  serviceName: string;
  version: string;
  state: ReleaseState;
  /** The planned start (a running rollout: when it started). */
  start: Date;
  /** When the model expects the last wave's bake to end (a running rollout: not before now). */
  end: Date;
  card?: { channel: string; ts: string };
}

export interface FeedFreeze {
  policy: string;
  /** First and last day, inclusive (YYYY-MM-DD). */
  from: string;
  to: string;
  reason: string;
  services: string[];
}

export interface CalendarFeed {
  entries: FeedEntry[];
  freezes: FeedFreeze[];
}

/** What the feed covers: rollouts running now, and releases planned for the next half year. */
export const FEED_DAYS = 183;

/**
 * The forward schedule of change as calendar entries: scheduled and running releases with their
 * expected span, and the freezes of the policies of the services shown; filtered by one service or
 * one team (`teams:` in relm.yml).
 */
export async function calendarFeed(ctx: CoreContext, filter: { service?: string; team?: string } = {}): Promise<CalendarFeed> {
  const { settings } = ctx;
  let services: string[] | undefined;
  if (filter.service !== undefined) {
    if (!Object.hasOwn(settings.services, filter.service)) throw new DomainError('not_found', `No service "${filter.service}" in relm.yml.`);
    services = [filter.service];
  } else if (filter.team !== undefined) {
    if (!Object.hasOwn(settings.teams, filter.team)) throw new DomainError('not_found', `No team "${filter.team}" in relm.yml.`);
    services = settings.teams[filter.team]!;
  }
  const now = ctx.clock();
  const rows = await feedReleases(ctx.db, now, new Date(now.getTime() + FEED_DAYS * 86_400_000), services);
  const entries: FeedEntry[] = [];
  for (const r of rows) {
    const span = occupancyOf(settings, r, now);
    if (!span) continue;
    const card = postedCard({ cardChannel: r.cardChannel, cardTs: r.cardTs } as Parameters<typeof postedCard>[0]);
    entries.push({ id: r.id, key: releaseKey(r.id), title: r.title, service: r.service, serviceName: settings.services[r.service]?.name ?? r.service, version: r.version, state: r.state, start: span.start, end: span.end, ...(card ? { card } : {}) });
  }
  const shown = services ?? Object.keys(settings.services);
  const today = now.toISOString().slice(0, 10);
  const freezes: FeedFreeze[] = [];
  for (const policy of Object.values(settings.policies)) {
    const of = shown.filter((s) => settings.services[s]?.policy === policy.name);
    if (of.length === 0) continue;
    for (const f of policy.calendar.freezes) if (f.to >= today) freezes.push({ policy: policy.name, from: f.from, to: f.to, reason: f.reason, services: of });
  }
  return { entries, freezes };
}
