import { describe, expect, it } from 'vitest';
import { jiraConnection, jiraDeployment, readEnv } from '../../src/config/env.ts';
import { wikiLine, wikiMarkup } from '../../src/integrations/jira/wiki-markup.ts';

describe('JIRA_DEPLOYMENT and its default', () => {
  it('defaults to cloud for an atlassian.net site or when JIRA_EMAIL is set, else datacenter', () => {
    expect(jiraDeployment({ JIRA_HOST: 'https://acme.atlassian.net' })).toBe('cloud');
    expect(jiraDeployment({ JIRA_HOST: 'https://jira.acme.com', JIRA_EMAIL: 'relm@acme.com' })).toBe('cloud');
    expect(jiraDeployment({ JIRA_HOST: 'https://jira.acme.com/jira' })).toBe('datacenter');
    expect(jiraDeployment({ JIRA_HOST: 'https://acme.atlassian.net', JIRA_DEPLOYMENT: 'datacenter' })).toBe('datacenter');
  });

  it('reads JIRA_DEPLOYMENT from the environment, case-insensitively, and refuses other values', () => {
    expect(readEnv({ JIRA_DEPLOYMENT: 'DataCenter' }).JIRA_DEPLOYMENT).toBe('datacenter');
    expect(readEnv({ JIRA_DEPLOYMENT: '' }).JIRA_DEPLOYMENT).toBeUndefined();
    expect(() => readEnv({ JIRA_DEPLOYMENT: 'server' })).toThrow(/JIRA_DEPLOYMENT/);
  });

  it('stops at boot on an inconsistent combination, saying what to set', () => {
    expect(() => readEnv({ JIRA_HOST: 'https://acme.atlassian.net', JIRA_API_TOKEN: 't' })).toThrow(/JIRA_EMAIL: JIRA_HOST is an atlassian.net site.*set JIRA_DEPLOYMENT=datacenter/);
    expect(() => readEnv({ JIRA_HOST: 'https://jira.acme.com', JIRA_DEPLOYMENT: 'cloud', JIRA_API_TOKEN: 't' })).toThrow(/JIRA_EMAIL: JIRA_DEPLOYMENT is cloud/);
    expect(() => readEnv({ JIRA_HOST: 'https://jira.acme.com', JIRA_DEPLOYMENT: 'datacenter' })).toThrow(/JIRA_API_TOKEN: .*Personal Access Token/);
    // JIRA_HOST alone leaves Jira off, as before
    expect(jiraConnection(readEnv({ JIRA_HOST: 'https://jira.acme.com' }))).toBeUndefined();
  });

  it('signs in to Data Center with the token alone, ignoring JIRA_EMAIL', () => {
    expect(jiraConnection(readEnv({ JIRA_HOST: 'https://jira.acme.com', JIRA_API_TOKEN: 'pat' }))).toEqual({ deployment: 'datacenter', host: 'https://jira.acme.com', token: 'pat' });
    expect(jiraConnection(readEnv({ JIRA_HOST: 'https://jira.acme.com', JIRA_DEPLOYMENT: 'datacenter', JIRA_EMAIL: 'x@acme.com', JIRA_API_TOKEN: 'pat' }))).toEqual({ deployment: 'datacenter', host: 'https://jira.acme.com', token: 'pat' });
    expect(jiraConnection(readEnv({ JIRA_HOST: 'https://acme.atlassian.net', JIRA_EMAIL: 'x@acme.com', JIRA_API_TOKEN: 'tok' }))).toEqual({ deployment: 'cloud', host: 'https://acme.atlassian.net', email: 'x@acme.com', token: 'tok' });
  });
});

describe('wikiMarkup: plain text as Jira wiki markup', () => {
  it('writes an h3. heading per section and a paragraph per non-empty line', () => {
    expect(wikiMarkup([{ heading: 'Rollback plan', text: 'Redeploy\n\n  \nthen check' }, { heading: 'Waves', text: 'canary: eu-1' }])).toBe('h3. Rollback plan\n\nRedeploy\n\nthen check\n\nh3. Waves\n\ncanary: eu-1');
  });

  it('keeps user text from opening blocks, macros, links, mentions and images', () => {
    expect(wikiLine('h1. Big')).toBe('\u00a0h1. Big');
    expect(wikiLine('  bq. quote')).toBe('\u00a0bq. quote');
    expect(wikiLine('* item')).toBe('\u00a0* item');
    expect(wikiLine('----')).toBe('\u00a0----');
    expect(wikiLine('|| a || b ||')).toBe('\u00a0|| a || b ||');
    expect(wikiLine('{code}x{code}')).toBe('\\{code\\}x\\{code\\}');
    expect(wikiLine('see [~admin] and [x|http://evil] !http://evil/p.png!')).toBe('see \\[~admin\\] and \\[x|http://evil\\] \\!http://evil/p.png\\!');
    expect(wikiLine('Payments 1.4.0-rc1 is *fast*')).toBe('Payments 1.4.0-rc1 is *fast*');
    expect(wikiMarkup([{ heading: 'h1. x\ny', text: 'ok' }])).toBe('h3. \u00a0h1. x y\n\nok');
  });
});
