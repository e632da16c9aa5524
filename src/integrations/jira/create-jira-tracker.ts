import type { JiraConnection } from '../../config/env.ts';
import { JiraCloudApi } from './jira-cloud-api.ts';
import { JiraDataCenterApi } from './jira-datacenter-api.ts';
import { JiraChangeTracker, type JiraApi } from './jira-tracker.ts';
import type { CallObserver } from '../http/call-observer.ts';

/** The Jira API with each operation timed and its failures counted, by operation (`createIssue`, `doTransition`, ...). */
function observed(api: JiraApi, onCall: CallObserver): JiraApi {
  return new Proxy(api, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'document') return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          const result = await value.apply(target, args);
          onCall(key, (performance.now() - started) / 1000);
          return result;
        } catch (error) {
          const e = error as { status?: number; response?: { status?: number } };
          onCall(key, (performance.now() - started) / 1000, { status: e.status ?? e.response?.status });
          throw error;
        }
      };
    },
  });
}

/** The change tracker for the Jira deployment the environment names (JIRA_DEPLOYMENT, or its default). */
export function createJiraTracker(connection: JiraConnection, options: { timezone?: string; timeoutMs?: number; retryBaseMs?: number; onCall?: CallObserver } = {}): JiraChangeTracker {
  const raw: JiraApi =
    connection.deployment === 'cloud'
      ? new JiraCloudApi({ host: connection.host, email: connection.email, apiToken: connection.token })
      : new JiraDataCenterApi({ host: connection.host, token: connection.token });
  return new JiraChangeTracker(options.onCall ? observed(raw, options.onCall) : raw, options);
}

export const deploymentName = (deployment: JiraConnection['deployment']) => (deployment === 'cloud' ? 'Jira Cloud (REST v3)' : 'Jira Data Center (REST v2, Personal Access Token)');
