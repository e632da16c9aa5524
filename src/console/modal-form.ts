import { DateTime } from 'luxon';
import { plainText } from './render.ts';
import type { LineReader } from './line-reader.ts';
import { parseWhen } from '../bot/commands/when.ts';

type Values = Record<string, Record<string, any>>;

async function ask(rl: LineReader, prompt: string): Promise<string> {
  return (await rl.question(prompt)).trim();
}

/** Asks for one input block's value in the terminal; Enter keeps what is there. */
async function askBlock(rl: LineReader, block: any, zone: string, current: any, now: () => Date): Promise<any> {
  const element = block.element;
  const label = block.label?.text ?? block.block_id;
  switch (element.type) {
    case 'plain_text_input': {
      const initial = current?.value ?? element.initial_value ?? '';
      if (block.hint?.text) process.stdout.write(`    (${block.hint.text})\n`);
      const answer = await ask(rl, `  ${label}${block.optional ? ' (optional)' : ''}${initial ? ` [${initial.split('\n')[0]}]` : ''}: `);
      return { type: 'plain_text_input', value: answer === '' ? initial || null : answer === '-' ? null : answer };
    }
    case 'static_select': {
      const options = element.options as { text: { text: string }; value: string }[];
      const initial = current?.selected_option ?? element.initial_option;
      const menu = options.map((o, i) => `${i + 1}) ${o.text.text}`).join('  ');
      const answer = await ask(rl, `  ${label}: ${menu}${initial ? ` [${initial.text.text}]` : ''}: `);
      const chosen = answer === '' ? initial : options[Number(answer) - 1] ?? options.find((o) => o.value === answer);
      if (answer !== '' && !chosen) {
        process.stdout.write(`    "${answer}" is not one of the choices; give its number\n`);
        return askBlock(rl, block, zone, current, now);
      }
      return { type: 'static_select', selected_option: chosen ?? null };
    }
    case 'datetimepicker': {
      const initial = current?.selected_date_time ?? element.initial_date_time;
      const shown = initial ? DateTime.fromSeconds(initial, { zone }).toFormat('yyyy-MM-dd HH:mm') : '';
      const answer = await ask(rl, `  ${label} (like tomorrow 10:00, +2h or YYYY-MM-DD HH:mm, ${zone}; - for none)${shown ? ` [${shown}]` : ''}: `);
      if (answer === '-') return { type: 'datetimepicker', selected_date_time: null };
      if (answer === '') return { type: 'datetimepicker', selected_date_time: initial ?? null };
      try {
        return { type: 'datetimepicker', selected_date_time: Math.floor(parseWhen(answer, zone, now()).getTime() / 1000) };
      } catch (error) {
        process.stdout.write(`    ${plainText((error as Error).message, zone)}; try again\n`);
        return askBlock(rl, block, zone, current, now);
      }
    }
    case 'checkboxes': {
      const option = element.options[0];
      const initial = current ? current.selected_options.length > 0 : (element.initial_options ?? []).length > 0;
      const answer = (await ask(rl, `  ${plainText(option.text.text, zone)}? (y/n) [${initial ? 'y' : 'n'}]: `)).toLowerCase();
      const yes = answer === '' ? initial : answer.startsWith('y');
      return { type: 'checkboxes', selected_options: yes ? [option] : [] };
    }
    default:
      return current ?? null;
  }
}

/**
 * Fills a modal in the terminal and returns `view.state.values` as Slack would send them.
 * With `only`, asks again just for the blocks that came back with errors.
 */
export async function fillModal(rl: LineReader, view: any, zone: string, now: () => Date, previous?: Values, only?: Set<string>): Promise<Values> {
  const values: Values = previous ? structuredClone(previous) : {};
  if (!only) process.stdout.write(`\n┌ ${view.title?.text ?? 'Form'} (Enter keeps the value in brackets)\n`);
  for (const block of view.blocks as any[]) {
    if (block.type === 'section' && !only) process.stdout.write(`  ${plainText(block.text?.text ?? '', zone)}\n`);
    if (block.type !== 'input' || (only && !only.has(block.block_id))) continue;
    const actionId = block.element.action_id;
    values[block.block_id] = { [actionId]: await askBlock(rl, block, zone, values[block.block_id]?.[actionId], now) };
  }
  return values;
}
