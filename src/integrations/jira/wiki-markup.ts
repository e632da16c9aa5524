import type { ChangeTicket } from '../../core/ports/change-tracker.ts';

/** A no-break space: Jira's block patterns (`h1.`, `bq.`, `*`, `#`, `|`, `----`) start after plain whitespace only. */
const NBSP = '\u00a0';

/**
 * One line of relm or user text as a wiki-markup paragraph that cannot change the rest of the document:
 * - a line that would open a block (a heading `h1.`–`h6.`, `bq.`, a list `*` / `#` / `-`, a table `|`,
 *   a rule `----`) starts with a no-break space, which Jira's block patterns do not skip;
 * - `{` and `}` are escaped (`\{`), so no macro (`{code}`, `{noformat}`, `{panel}`, `{color}`) can open and
 *   swallow what follows;
 * - `[` `]` and `!` are escaped, so the text makes no links, user mentions (`[~name]`) or remote images.
 * Inline emphasis (`*bold*`, `_italic_`, `-strike-`, `+under+`, `^sup^`, `~sub~`) is left alone: it stays
 * inside its own paragraph, and escaping every hyphen would mangle versions and dates.
 */
export function wikiLine(line: string): string {
  const escaped = line.replace(/[{}[\]!]/g, (c) => `\\${c}`);
  return /^\s*(h[1-6]\.|bq\.|[*#|-])/i.test(escaped) ? `${NBSP}${escaped.trimStart()}` : escaped;
}

/**
 * Plain text as Jira wiki markup (Jira Data Center REST v2 takes descriptions and comment bodies as
 * wiki-markup strings): an `h3.` heading per section and a paragraph per non-empty line, the way
 * `adf()` builds its document for Cloud.
 */
export function wikiMarkup(sections: ChangeTicket['sections']): string {
  const blocks: string[] = [];
  for (const section of sections) {
    blocks.push(`h3. ${wikiLine(section.heading.replace(/\s+/g, ' ').trim())}`);
    for (const line of section.text.split('\n').filter((l) => l.trim())) blocks.push(wikiLine(line));
  }
  return blocks.join('\n\n');
}
