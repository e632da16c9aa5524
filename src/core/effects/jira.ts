import { z } from 'zod';
import { jiraTicket } from '../usecases/jira-ticket.ts';
import { incidentFromJira } from '../usecases/incidents.ts';
import { effect } from './effect.ts';
import { releaseId } from './payloads.ts';

/** The change ticket: raised on submit, moved, commented on and updated with the release. */
export const changeTicketEffect = effect({
  kinds: ['jira_raise', 'jira_transition', 'jira_comment', 'jira_update'],
  payload: z.object({ releaseId, transition: z.string().optional(), text: z.string().optional(), plan: z.boolean().optional() }),
  traits: { orderedGroup: 'change_ticket', syncs: 'jira' },
  perform: (ctx, ports, kind, payload) => jiraTicket(ctx, ports, kind, payload),
});

/** An issue linked to the change ticket in Jira: looked at, and recorded if it is an incident. */
export const jiraIncidentLinkEffect = effect({
  kinds: ['jira_incident_link'],
  payload: z.object({ releaseId, issueId: z.string() }),
  traits: { syncs: 'jira' },
  perform: (ctx, ports, _kind, payload) => incidentFromJira(ctx, ports, payload),
});
