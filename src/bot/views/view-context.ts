import type { ViewContext } from '../blocks/modals.ts';
import { ViewMetadataSchema } from '../payloads.ts';

/**
 * What relm put in a modal's private_metadata. The HTTP edge already refuses anything else; a console
 * or Socket Mode submission that does not parse counts as none, and the listener says it lost track.
 */
export function readViewContext(privateMetadata: string | undefined): ViewContext & { service?: string } {
  try {
    const parsed = ViewMetadataSchema.safeParse(JSON.parse(privateMetadata || '{}'));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}
