import ical, { ICalEventStatus } from 'ical-generator';
import type { CoreContext } from '../core/context.ts';
import { DomainError } from '../core/errors.ts';
import { calendarFeed, type CalendarFeed } from '../core/usecases/calendar-feed.ts';
import { sameSecret } from './secret.ts';
import type { Route } from './server.ts';

/** A link to a release's card that opens it in Slack for anyone signed in to the workspace. */
export function cardUrl(card: { channel: string; ts: string }): string {
  return `https://slack.com/archives/${card.channel}/p${card.ts.replace('.', '')}`;
}

const STATE_NAMES: Record<string, string> = { scheduled: 'scheduled', in_progress: 'in progress', paused: 'paused' };

function nextDay(day: string): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);
}

/** The feed as RFC 5545 text: one event per release (stable UIDs, so calendars update them in place), freezes all day. */
export function renderCalendar(feed: CalendarFeed, name: string, now: Date): string {
  const calendar = ical({ name, prodId: { company: 'relm', product: 'relm', language: 'EN' }, ttl: 15 * 60 });
  for (const e of feed.entries) {
    const link = e.card ? cardUrl(e.card) : undefined;
    calendar.createEvent({
      id: `relm-release-${e.id}`,
      stamp: now,
      start: e.start,
      end: e.end,
      summary: `${e.key} ${e.serviceName} ${e.version}: ${e.title}`,
      description: [`${e.key}: ${e.title}`, `Service: ${e.serviceName} (${e.service})`, `Version: ${e.version}`, `State: ${STATE_NAMES[e.state] ?? e.state}`, `End expected from the deployment model's waves and bakes.`, ...(link ? [`Card: ${link}`] : [])].join('\n'),
      status: e.state === 'paused' ? ICalEventStatus.TENTATIVE : ICalEventStatus.CONFIRMED,
      categories: [{ name: 'release' }, { name: e.service }, { name: e.state }],
      ...(link ? { url: link } : {}),
    });
  }
  for (const f of feed.freezes) {
    calendar.createEvent({
      id: `relm-freeze-${f.policy}-${f.from}-${f.to}`,
      stamp: now,
      allDay: true,
      start: new Date(`${f.from}T00:00:00Z`),
      // DTEND of an all-day event is the day after the last (RFC 5545 3.6.1).
      end: nextDay(f.to),
      summary: `Change freeze: ${f.reason}`,
      description: `No changes (policy ${f.policy}: ${f.services.join(', ')}), ${f.from} to ${f.to} inclusive; emergencies only where the policy allows.`,
      categories: [{ name: 'freeze' }],
    });
  }
  return calendar.toString();
}

/**
 * GET /calendar.ics?token=…[&service=…|&team=…]: the forward schedule of change for a calendar app to
 * subscribe to. Without RELM_CALENDAR_TOKEN there is no feed (404); a missing token is 401, a wrong one 403.
 */
export function calendarFeedRoute(ctx: CoreContext, token: string | undefined): Route {
  return {
    path: '/calendar.ics',
    method: 'GET',
    handler: async (req, res) => {
      const plain = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
      if (!token) return void plain(404, 'no calendar feed: RELM_CALENDAR_TOKEN is not set');
      const query = new URL(req.url ?? '/', 'http://relm').searchParams;
      const given = query.get('token');
      if (!given) return void plain(401, 'the feed needs ?token=');
      if (!sameSecret(given, token)) return void plain(403, 'wrong token');
      const service = query.get('service') ?? undefined;
      const team = query.get('team') ?? undefined;
      if (service !== undefined && team !== undefined) return void plain(400, 'give service or team, not both');
      let feed: CalendarFeed;
      try {
        feed = await calendarFeed(ctx, { service, team });
      } catch (error) {
        if (error instanceof DomainError) return void plain(404, error.message);
        throw error;
      }
      const name = `relm: changes${service ? ` to ${ctx.settings.services[service]!.name}` : team ? ` of ${team}` : ''}`;
      res.writeHead(200, { 'content-type': 'text/calendar; charset=utf-8', 'cache-control': 'private, max-age=300', 'content-disposition': 'inline; filename="relm.ics"' });
      res.end(renderCalendar(feed, name, ctx.clock()));
    },
  };
}
