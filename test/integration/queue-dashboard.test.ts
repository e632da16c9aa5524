import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { effectsQueueName } from '../../src/jobs/effects-queue.ts';

const TOKEN = 'admin-secret-for-tests';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ store: 'pglite', env: { RELM_ADMIN_TOKEN: TOKEN } });
});

afterAll(async () => {
  await h?.stop();
});

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('the queue dashboard', () => {
  it('refuses anyone without the token', async () => {
    expect((await fetch(`${h.baseUrl}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${h.baseUrl}/admin/queues/api/queues`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await fetch(`${h.baseUrl}/admin/queues?token=nope`, { redirect: 'manual' })).status).toBe(401);
    expect((await fetch(`${h.baseUrl}/admin/queues/api/queues`, { headers: { cookie: `relm_admin=${TOKEN}` } })).status).toBe(401);
  });

  it("shows relm's queues to a bearer of the token, and signs in a browser by ?token= with a cookie", async () => {
    const api = await fetch(`${h.baseUrl}/admin/queues/api/queues`, { headers: bearer });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    const names = body.queues.map((q) => q.name).sort();
    expect(names).toEqual([effectsQueueName(h.relm.installationId), effectsQueueName(h.relm.installationId, 'notices'), `rollout-${h.relm.installationId}`].sort());
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);

    const login = await fetch(`${h.baseUrl}/admin/queues?token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/admin/queues');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).not.toContain(TOKEN);
    const page = await fetch(`${h.baseUrl}/admin/queues`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });

  it('is read-only: a retry or a clean is refused', async () => {
    const queue = effectsQueueName(h.relm.installationId);
    const retry = await fetch(`${h.baseUrl}/admin/queues/api/queues/${queue}/retry/failed`, { method: 'PUT', headers: bearer });
    expect(retry.status).toBe(405);
    const clean = await fetch(`${h.baseUrl}/admin/queues/api/queues/${queue}/clean/completed`, { method: 'PUT', headers: bearer });
    expect(clean.status).toBe(405);
  });

  it('leaves other paths alone', async () => {
    expect((await fetch(`${h.baseUrl}/admin/queuesX`, { headers: bearer })).status).toBe(404);
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
  });
});

describe('the dashboard configured otherwise', () => {
  it('does not exist without RELM_ADMIN_TOKEN, and with RELM_ADMIN_WRITE=true it may clean', async () => {
    const none = await startHarness({ store: 'pglite' });
    try {
      expect((await fetch(`${none.baseUrl}/admin/queues`, { headers: bearer })).status).toBe(404);
    } finally {
      await none.stop();
    }
    const writable = await startHarness({ store: 'pglite', env: { RELM_ADMIN_TOKEN: TOKEN, RELM_ADMIN_WRITE: 'true' } });
    try {
      const clean = await fetch(`${writable.baseUrl}/admin/queues/api/queues/${effectsQueueName(writable.relm.installationId)}/clean/completed`, { method: 'PUT', headers: bearer });
      expect(clean.status).toBe(200);
    } finally {
      await writable.stop();
    }
  }, 30_000);
});
