/** The Jira statuses relm.yml gives meaning to (`jira.approved_statuses`, `declined_statuses`, `cancelled_statuses`). */
export interface JiraStatuses {
  approved: string[];
  declined: string[];
  cancelled: string[];
}

/** What a change ticket moved to `status` in Jira means for its release, if anything. */
export function jiraStatusMeans(statuses: JiraStatuses, status: string): 'approve' | 'reject' | 'cancel' | undefined {
  if (statuses.cancelled.includes(status)) return 'cancel';
  if (statuses.approved.includes(status)) return 'approve';
  if (statuses.declined.includes(status)) return 'reject';
  return undefined;
}
