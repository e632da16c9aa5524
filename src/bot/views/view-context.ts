import type { ViewContext } from '../blocks/modals.ts';

export function readViewContext(privateMetadata: string | undefined): ViewContext & { service?: string } {
  try {
    const parsed = JSON.parse(privateMetadata || '{}');
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
