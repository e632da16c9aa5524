import type { Alert } from '../../core/ports/publisher.ts';
import type { RenderedMessage } from './card.ts';
import { clip, escapeText } from './format.ts';

/** An unauthorised version found live: said once, in the service's release channel. */
export function renderAlert(alert: Alert): RenderedMessage {
  const link = alert.url && /^https?:\/\//.test(alert.url) ? ` <${alert.url.replace(/[<>|]/g, '')}|details>` : '';
  const text = `:rotating_light: *Unauthorised version* of ${escapeText(alert.service)}: ${clip(alert.detail, 300)}, and no approved release covers ${escapeText(alert.version)}.${link} Plan and approve it with \`/release new ${escapeText(alert.service)} ${escapeText(alert.version)}\`, or back it out.`;
  return { text: `Unauthorised version of ${alert.service}: ${alert.version}`.replace(/[<>&]/g, ''), blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
