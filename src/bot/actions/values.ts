import { z } from 'zod';
import { DomainError } from '../../core/errors.ts';

/** A number a button carries: digits only, within PostgreSQL's integer (so never NaN, 1e308 or 10^20). */
const idText = z
  .string()
  .regex(/^\d{1,10}$/)
  .transform(Number)
  .refine((n) => n <= 2_147_483_647);

const OLD_BUTTON = 'That button is from an older version of relm; use `/release show REL-n` to find the release.';

/** The ids a button's value carries: `count` of them joined by ":" (`12`, or `7:3` for a step and an item). */
export function buttonIds(value: unknown, count = 1): number[] {
  const parts = typeof value === 'string' ? value.split(':') : [];
  const ids = parts.length === count ? parts.map((part) => idText.safeParse(part)) : [];
  if (ids.length !== count || ids.some((r) => !r.success)) throw new DomainError('invalid_input', OLD_BUTTON);
  return ids.map((r) => r.data!);
}

/** The one id a card or checklist button carries (a release, or a rollout step). */
export function buttonId(value: unknown): number {
  return buttonIds(value, 1)[0]!;
}
