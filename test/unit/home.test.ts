import { describe, expect, it } from 'vitest';
import { renderHome, HOME_MAX_BLOCKS, SECTION_MAX_CHARS } from '../../src/bot/blocks/home.ts';
import type { HomeData } from '../../src/core/usecases/home.ts';
import type { StoredRelease } from '../../src/core/release.ts';
import { checkSlackPayload } from '../../src/bot/payloads.ts';
import { homeRefreshEffect, homePublishKey } from '../../src/core/home.ts';

const at = new Date('2026-11-24T09:00:00Z');

function release(id: number, overrides: Partial<StoredRelease> = {}): StoredRelease {
  return {
    id, service: 'payments', version: `1.${id}.0`, type: 'minor', title: `A long title ${'x'.repeat(140)}`, description: '', risk: 'medium',
    plannedStart: new Date(at.getTime() + 3_600_000), deploymentModel: 'm', rollbackPlan: 'r', testEvidence: 't', trainingNeeded: false, trainingLinks: [],
    impact: 'i'.repeat(400), contact: null, requester: 'U0DEV', state: 'scheduled', revision: 1, rescheduleCount: 0, createdAt: at, updatedAt: at,
    submittedAt: at, approvedAt: at, waves: null, rolloutDirection: 'forward', rolloutNote: null, bypassedFreeze: false, startedAt: null, finishedAt: null,
    jiraKey: null, assets: null, assetsVerifiedAt: null, assetsProblem: null, cardChannel: 'C0PAY', cardTs: '1.1', assessedRisk: null, riskFactors: [], riskReason: null, forcedBy: null, ...overrides,
  };
}

describe('the App Home view', () => {
  it('stays within 100 blocks and 3,000 characters a section however long the lists, and says how many more there are', () => {
    const many = (n: number, o: Partial<StoredRelease> = {}) => Array.from({ length: n }, (_, i) => release(i + 1, o));
    const home: HomeData = {
      user: 'U0APP1',
      at,
      pendingApprovals: many(300, { state: 'submitted' }).map((r) => ({ release: r, approvals: 1, required: 2 })),
      myReleases: many(300, { state: 'draft' }),
      upcoming: many(300),
      outcomes: many(300, { state: 'completed', finishedAt: at }),
    };
    const view = renderHome(home, 'notice');
    expect(view.type).toBe('home');
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
    for (const block of view.blocks as any[]) if (block.text?.text) expect(block.text.text.length).toBeLessThanOrEqual(SECTION_MAX_CHARS);
    const mores = (view.blocks as any[]).filter((b) => b.type === 'context' && /^… and \d+ more/.test(b.elements[0].text));
    expect(mores).toHaveLength(4);
    expect(mores[0].elements[0].text).toContain('… and 285 more');
  });

  it('escapes titles, services and versions', () => {
    const view = renderHome({ user: 'U0A', at, pendingApprovals: [], myReleases: [release(1, { title: '<!here> & <@U0X>', state: 'draft' })], upcoming: [], outcomes: [] });
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('&lt;!here&gt; &amp; &lt;@U0X&gt;');
    expect(text).not.toContain('<!here>');
  });
});

describe('Home refreshes', () => {
  it('are asked for by changes that alter what Home shows, keyed by the audit entry', () => {
    expect(homeRefreshEffect({ releaseId: 4, action: 'approved', before: 'submitted', after: 'scheduled' }, 17)).toEqual([
      { kind: 'home_fanout', releaseId: 4, dedupeKey: 'home:fanout:17', payload: { releaseId: 4, action: 'approved', before: 'submitted', after: 'scheduled' } },
    ]);
    expect(homeRefreshEffect({ releaseId: 4, action: 'approval_given' }, 18)).toHaveLength(1);
    expect(homeRefreshEffect({ releaseId: 4, action: 'checklist_ticked' }, 19)).toEqual([]);
    expect(homeRefreshEffect({ releaseId: 4, action: 'wave_verified', before: 'in_progress', after: 'in_progress' }, 20)).toEqual([]);
  });

  it('have one key per person and window', () => {
    expect(homePublishKey('U0A', 5)).toBe(homePublishKey('U0A', 5));
    expect(homePublishKey('U0A', 5)).not.toBe(homePublishKey('U0A', 6));
    expect(homePublishKey('U0A', 5)).not.toBe(homePublishKey('U0B', 5));
  });
});

describe('a click in App Home', () => {
  const click = (extra: Record<string, unknown>) => ({
    type: 'block_actions', user: { id: 'U0A' }, trigger_id: 't1', actions: [{ action_id: 'relm_approve', value: '1:1' }], ...extra,
  });

  it('is taken without a response_url, as Slack sends it from a Home view', () => {
    expect(checkSlackPayload(click({ container: { type: 'view', view_id: 'V1' }, view: { type: 'home', id: 'V1' } }))).toEqual({ ok: true, kind: 'action' });
  });

  it('is refused without a response_url anywhere else', () => {
    expect(checkSlackPayload(click({ container: { type: 'message' } })).ok).toBe(false);
    expect(checkSlackPayload(click({ container: { type: 'view' }, view: { type: 'modal' } })).ok).toBe(false);
  });
});
