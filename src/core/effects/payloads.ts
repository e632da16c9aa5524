import { z } from 'zod';

/** The payload fields effects share; each kind's schema picks what it needs. */
export const releaseId = z.number().int().positive();
export const stepId = z.number().int().positive();
export const OfRelease = z.object({ releaseId });
export const OfStep = z.object({ releaseId, stepId });
