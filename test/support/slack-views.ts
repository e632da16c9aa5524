import type { EmulatedMessage, SlackEmulator } from '../../src/console/slack-emulator.ts';

/** The release card of REL-n in a channel: the top-level message whose headline names it. */
export function findCard(slack: SlackEmulator, channel: string, id: number): EmulatedMessage | undefined {
  return slack.channelMessages(channel).find((m) => m.blocks[0]?.text?.text?.startsWith(`*REL-${id} ·`));
}

export function findApprovalRequests(slack: SlackEmulator, channel: string, id: number): EmulatedMessage[] {
  return slack.channelMessages(channel).filter((m) => m.text.startsWith(`Approval requested for REL-${id} `) || m.text.startsWith(`REL-${id}: `));
}

export function buttonsOf(message: EmulatedMessage): { action_id: string; value: string; confirm?: unknown; style?: string }[] {
  return message.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements);
}

/** Input values shaped like Slack's view.state.values for the planning modal. */
export function planValues(fields: { version?: string; type?: string; title?: string; risk?: string; model?: string; rollback?: string; evidence?: string; start?: Date; service?: string; description?: string }) {
  const text = (value?: string) => ({ value: { type: 'plain_text_input', value: value ?? null } });
  const select = (value?: string) => ({ value: { type: 'static_select', selected_option: value ? { text: { type: 'plain_text', text: value }, value } : null } });
  return {
    service: select(fields.service),
    version: text(fields.version),
    type: select(fields.type ?? 'minor'),
    title: text(fields.title),
    description: text(fields.description),
    risk: select(fields.risk ?? 'medium'),
    planned_start: { value: { type: 'datetimepicker', selected_date_time: fields.start ? Math.floor(fields.start.getTime() / 1000) : null } },
    model: select(fields.model ?? 'two-waves'),
    rollback_plan: text(fields.rollback),
    test_evidence: text(fields.evidence),
    training: { value: { type: 'checkboxes', selected_options: [] } },
  };
}
