import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

// Slack's published JSON Schema for app manifests (github.com/slackapi/manifest-schema, MIT), copied
// from ../shared/specs so the test runs in any clone.
const schema = JSON.parse(readFileSync(new URL('../fixtures/slack-app-manifest.schema.1.0.0.json', import.meta.url), 'utf8'));
const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8'));

describe('manifest.yml', () => {
  it('is a valid Slack app manifest', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('uri', /^https?:\/\/[^\s]+$/);
    const validate = ajv.compile(schema);
    const valid = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('declares what relm uses: /release on /slack/events, interactivity, and the scopes its calls need', () => {
    expect(manifest.features.slash_commands).toEqual([expect.objectContaining({ command: '/release', url: expect.stringMatching(/\/slack\/events$/) })]);
    expect(manifest.settings.interactivity).toMatchObject({ is_enabled: true, request_url: expect.stringMatching(/\/slack\/events$/) });
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['commands', 'chat:write', 'usergroups:read', 'channels:history', 'users:read']));
    expect(manifest.features.app_home.messages_tab_enabled).toBe(true);
  });

  it('enables the Home tab and subscribes to app_home_opened on the same request URL', () => {
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
    expect(manifest.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
  });

  it('is rejected by the schema when broken, so the first test can fail', () => {
    const ajv = new Ajv({ strict: false });
    ajv.addFormat('uri', /^https?:\/\/[^\s]+$/);
    const validate = ajv.compile(schema);
    expect(validate({ ...manifest, settings: { ...manifest.settings, socket_mode_enabled: 'yes' } })).toBe(false);
  });
});
