import type { JiraConnection } from '../../config/env.ts';
import { JiraCloudApi } from './jira-cloud-api.ts';
import { JiraDataCenterApi } from './jira-datacenter-api.ts';
import { JiraChangeTracker } from './jira-tracker.ts';

/** The change tracker for the Jira deployment the environment names (JIRA_DEPLOYMENT, or its default). */
export function createJiraTracker(connection: JiraConnection, options: { timezone?: string; timeoutMs?: number; retryBaseMs?: number } = {}): JiraChangeTracker {
  const api =
    connection.deployment === 'cloud'
      ? new JiraCloudApi({ host: connection.host, email: connection.email, apiToken: connection.token })
      : new JiraDataCenterApi({ host: connection.host, token: connection.token });
  return new JiraChangeTracker(api, options);
}

export const deploymentName = (deployment: JiraConnection['deployment']) => (deployment === 'cloud' ? 'Jira Cloud (REST v3)' : 'Jira Data Center (REST v2, Personal Access Token)');
