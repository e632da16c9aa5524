import { DateTime } from 'luxon';

export interface RenderedButton {
  label: string;
  actionId: string;
  value?: string;
  blockId?: string;
  confirm?: string;
}

const EMOJI: Record<string, string> = {
  memo: '📝', hourglass_flowing_sand: '⏳', white_check_mark: '✅', no_entry: '⛔', calendar: '📅', rocket: '🚀',
  double_vertical_bar: '⏸', tada: '🎉', x: '❌', rewind: '⏪', wastebasket: '🗑', warning: '⚠️', boom: '💥',
  outbox_tray: '📤', '+1': '👍', lock: '🔒', rotating_light: '🚨', arrows_counterclockwise: '🔄',
  arrow_forward: '▶️', white_square: '⬜', ballot_box_with_check: '☑️', hourglass: '⌛', mag: '🔍',
  fast_forward: '⏩', heavy_minus_sign: '➖', snowflake: '❄️', clock3: '🕒', repeat: '🔁', octagonal_sign: '🛑',
};

/** Slack mrkdwn as a terminal shows it: mentions by id, dates in the console's timezone, entities decoded. */
export function plainText(mrkdwn: string, zone: string): string {
  return mrkdwn
    .replace(/<!date\^(\d+)\^[^|>]*\|[^>]*>/g, (_, unix: string) => DateTime.fromSeconds(Number(unix), { zone }).toFormat('ccc d LLL yyyy HH:mm ZZZZ'))
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<#([A-Z0-9]+)(?:\|[^>]*)?>/g, '#$1')
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!(channel|here|everyone)>/g, '@$1')
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole)
    .replace(/(^|\s)\*([^*\n]+)\*/g, '$1$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Block Kit as lines of text, with every button collected so it can be pressed by number. */
export function renderBlocks(blocks: any[], fallback: string, zone: string): { lines: string[]; buttons: RenderedButton[] } {
  const lines: string[] = [];
  const buttons: RenderedButton[] = [];
  if (!blocks?.length) return { lines: plainText(fallback, zone).split('\n'), buttons };
  for (const block of blocks) {
    if (block.type === 'section' || block.type === 'header') {
      if (block.text?.text) lines.push(...plainText(block.text.text, zone).split('\n'));
      if (block.accessory?.type === 'button') {
        const a = block.accessory;
        buttons.push({ label: `${a.text?.text ?? a.action_id}: ${plainText(block.text?.text ?? '', zone).slice(0, 40)}`, actionId: a.action_id, value: a.value, blockId: block.block_id });
      }
      if (block.fields) {
        const fields = (block.fields as any[]).map((f) => plainText(f.text, zone).replace(/\n/, ': '));
        for (let i = 0; i < fields.length; i += 2) lines.push(fields.slice(i, i + 2).map((f) => f.padEnd(38)).join('  ').trimEnd());
      }
    } else if (block.type === 'context') {
      lines.push(...(block.elements as any[]).map((e) => plainText(e.text ?? '', zone)).join(' ').split('\n').map((l) => `  ${l}`));
    } else if (block.type === 'actions') {
      for (const element of block.elements as any[]) {
        if (element.type !== 'button') continue;
        buttons.push({
          label: element.text?.text ?? element.action_id,
          actionId: element.action_id,
          value: element.value,
          blockId: block.block_id,
          confirm: element.confirm ? plainText(`${element.confirm.title?.text ?? ''} ${element.confirm.text?.text ?? ''}`.trim(), zone) : undefined,
        });
      }
    } else if (block.type === 'divider') {
      lines.push('─'.repeat(40));
    }
  }
  return { lines, buttons };
}
