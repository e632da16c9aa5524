import { describe, expect, it } from 'vitest';
import { approvalStatus, type Decision } from '../../src/core/approvals.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-11-30T12:00:00Z');

function decision(approver: string, daysAgo: number, overrides: Partial<Decision> = {}): Decision {
  return { approver, decision: 'approve', revision: 2, decidedAt: new Date(NOW.getTime() - daysAgo * DAY), comment: null, ...overrides };
}

describe('approvalStatus', () => {
  it('reaches quorum when enough distinct approvers approved the current revision', () => {
    const status = approvalStatus([decision('U1', 1), decision('U2', 2)], 2, 2, NOW, null);
    expect(status.quorum).toBe(true);
    expect(status.valid.map((d) => d.approver)).toEqual(['U1', 'U2']);
    expect(status.expired).toEqual([]);
    expect(status.required).toBe(2);
  });

  it('has no quorum below the required count, and none with no decisions at all', () => {
    expect(approvalStatus([decision('U1', 1)], 2, 2, NOW, null).quorum).toBe(false);
    const empty = approvalStatus([], 2, 1, NOW, 7 * DAY);
    expect(empty).toEqual({ valid: [], expired: [], required: 1, quorum: false, validUntil: null });
  });

  it('ignores approvals given to an earlier or later revision', () => {
    const status = approvalStatus([decision('U1', 1, { revision: 1 }), decision('U2', 1, { revision: 3 }), decision('U3', 1)], 2, 2, NOW, null);
    expect(status.valid.map((d) => d.approver)).toEqual(['U3']);
    expect(status.quorum).toBe(false);
  });

  it('counts one approval per approver', () => {
    const status = approvalStatus([decision('U1', 1), decision('U1', 2), decision('U1', 3)], 2, 2, NOW, null);
    expect(status.valid).toHaveLength(1);
    expect(status.quorum).toBe(false);
  });

  it('does not count rejections as approvals', () => {
    const status = approvalStatus([decision('U1', 1, { decision: 'reject' }), decision('U2', 1)], 2, 2, NOW, null);
    expect(status.valid.map((d) => d.approver)).toEqual(['U2']);
    expect(status.expired).toEqual([]);
    expect(status.quorum).toBe(false);
  });

  it('moves approvals older than the expiry to expired, and they do not count', () => {
    const status = approvalStatus([decision('U1', 8), decision('U2', 1)], 2, 2, NOW, 7 * DAY);
    expect(status.expired.map((d) => d.approver)).toEqual(['U1']);
    expect(status.valid.map((d) => d.approver)).toEqual(['U2']);
    expect(status.quorum).toBe(false);
  });

  it('keeps an approval exactly at the expiry age, and lapses it one millisecond later', () => {
    const d = decision('U1', 7);
    expect(approvalStatus([d], 2, 1, NOW, 7 * DAY).quorum).toBe(true);
    const later = new Date(NOW.getTime() + 1);
    const status = approvalStatus([d], 2, 1, later, 7 * DAY);
    expect(status.quorum).toBe(false);
    expect(status.expired).toEqual([d]);
  });

  it('never expires approvals when expiresAfterMs is null', () => {
    const status = approvalStatus([decision('U1', 400)], 2, 1, NOW, null);
    expect(status.quorum).toBe(true);
    expect(status.validUntil).toBeNull();
  });

  it('is valid until the earliest counted approval lapses', () => {
    const status = approvalStatus([decision('U1', 1), decision('U2', 3), decision('U3', 2)], 2, 2, NOW, 7 * DAY);
    expect(status.validUntil).toEqual(new Date(NOW.getTime() + 4 * DAY));
  });

  it('ignores expired approvals when working out validUntil', () => {
    const status = approvalStatus([decision('U1', 10), decision('U2', 2)], 2, 1, NOW, 7 * DAY);
    expect(status.validUntil).toEqual(new Date(NOW.getTime() + 5 * DAY));
  });

  it('has no validUntil when every approval has lapsed', () => {
    const status = approvalStatus([decision('U1', 10)], 2, 1, NOW, 7 * DAY);
    expect(status.validUntil).toBeNull();
    expect(status.expired).toHaveLength(1);
  });

  it('treats a required count of 0 as already met', () => {
    expect(approvalStatus([], 1, 0, NOW, null).quorum).toBe(true);
  });
});
