/** A stable, low-cardinality name for a Slack request: the subcommand, action id or view callback id. */
export function requestLabel(body: Record<string, any>): { kind: string; name: string } {
  if (typeof body.command === 'string') {
    const verb = String(body.text ?? '').trim().split(/\s+/)[0]?.toLowerCase() || 'help';
    return { kind: 'command', name: /^[a-z?]{1,12}$/.test(verb) ? verb : 'other' };
  }
  if (body.type === 'block_actions') return { kind: 'action', name: String(body.actions?.[0]?.action_id ?? 'unknown').slice(0, 40) };
  if (body.type === 'view_submission' || body.type === 'view_closed') return { kind: 'view', name: String(body.view?.callback_id ?? 'unknown').slice(0, 40) };
  if (body.type === 'event_callback') return { kind: 'event', name: String(body.event?.type ?? 'unknown').slice(0, 40) };
  return { kind: String(body.type ?? 'other').slice(0, 40), name: 'other' };
}
