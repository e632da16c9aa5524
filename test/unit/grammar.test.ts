import { describe, expect, it } from 'vitest';
import { CommandError, parseReleaseCommand, parseWhen, tokenize } from '../../src/bot/commands/grammar.ts';

const LONDON = 'Europe/London';
// The clock these parsing tests read times against: a Tuesday evening in London.
const NOW = new Date('2026-11-24T20:38:00Z');
const parse = (text: string, zone = LONDON, now = NOW) => parseReleaseCommand(text, { zone, now });

/** The CommandError a command text raises. */
function errorOf(text: string, zone = LONDON): CommandError {
  try {
    parse(text, zone);
  } catch (error) {
    expect(error).toBeInstanceOf(CommandError);
    return error as CommandError;
  }
  throw new Error(`expected "${text}" to be refused`);
}

describe('tokenize', () => {
  it('splits on any whitespace', () => {
    expect(tokenize('  new   payments\t1.2.3 \n')).toEqual(['new', 'payments', '1.2.3']);
    expect(tokenize('')).toEqual([]);
  });

  it('keeps straight double- and single-quoted text together, without the quotes', () => {
    expect(tokenize('--title "Faster checkout" --x \'two words\'')).toEqual(['--title', 'Faster checkout', '--x', 'two words']);
  });

  it('keeps curly-quoted text together (what macOS and iOS type)', () => {
    expect(tokenize('--title “Faster checkout”')).toEqual(['--title', 'Faster checkout']);
  });

  it('keeps an empty quoted value as an empty token', () => {
    expect(tokenize('a "" b')).toEqual(['a', '', 'b']);
  });

  it('leaves an apostrophe inside a word alone', () => {
    expect(tokenize("don't ship")).toEqual(["don't", 'ship']);
  });
});

describe('parseWhen: absolute times', () => {
  it('reads "YYYY-MM-DD HH:mm" in the given zone', () => {
    expect(parseWhen('2026-12-01 10:00', LONDON, NOW)).toEqual(new Date('2026-12-01T10:00:00Z'));
    expect(parseWhen('2026-07-01 10:00', LONDON, NOW)).toEqual(new Date('2026-07-01T09:00:00Z'));
    expect(parseWhen('2026-12-01 10:00', 'America/New_York', NOW)).toEqual(new Date('2026-12-01T15:00:00Z'));
    expect(parseWhen('2026-12-01 10:00', 'Asia/Kolkata', NOW)).toEqual(new Date('2026-12-01T04:30:00Z'));
  });

  it('reads a local ISO time in the given zone', () => {
    expect(parseWhen('2026-12-01T10:00', 'America/New_York', NOW)).toEqual(new Date('2026-12-01T15:00:00Z'));
  });

  it('honours an explicit offset whatever the zone', () => {
    expect(parseWhen('2026-12-01T10:00:00+02:00', 'America/New_York', NOW)).toEqual(new Date('2026-12-01T08:00:00Z'));
    expect(parseWhen('2026-12-01T10:00:00Z', 'Asia/Tokyo', NOW)).toEqual(new Date('2026-12-01T10:00:00Z'));
  });

  it('trims surrounding spaces', () => {
    expect(parseWhen('  2026-12-01 10:00 ', 'UTC', NOW)).toEqual(new Date('2026-12-01T10:00:00Z'));
  });

  it.each(['2026-13-01 10:00', '2026-12-01 25:00', '2026-02-30 10:00'])('refuses %j with an example of what works', (text) => {
    expect(() => parseWhen(text, LONDON, NOW)).toThrow(CommandError);
    expect(() => parseWhen(text, LONDON, NOW)).toThrow(/is not a time: write YYYY-MM-DD HH:mm \(Europe\/London\).*tomorrow 10:00/);
  });
});

describe('parseWhen: relative times, read in the typing user\'s zone at the clock\'s now', () => {
  it.each([
    ['now', '2026-11-24T20:38:00Z'],
    ['+2h', '2026-11-24T22:38:00Z'],
    ['in 30m', '2026-11-24T21:08:00Z'],
    ['in 2 hours', '2026-11-24T22:38:00Z'],
    ['tomorrow 10:00', '2026-11-25T10:00:00Z'],
    ['mon 09:00', '2026-11-30T09:00:00Z'],
    ['next tuesday 14:30', '2026-12-01T14:30:00Z'],
    ['10:00', '2026-11-25T10:00:00Z'], // the next 10:00: today's has passed
  ])('%j is %s in London', (text, expected) => {
    expect(parseWhen(text, LONDON, NOW)).toEqual(new Date(expected));
  });

  it('reads a wall-clock time in the user\'s zone, not the server\'s', () => {
    // 20:38 in London is 15:38 in New York: "tomorrow" is still the 25th there.
    expect(parseWhen('tomorrow 10:00', 'America/New_York', NOW)).toEqual(new Date('2026-11-25T15:00:00Z'));
    // 20:38 in London is 05:38 on the 25th in Tokyo: "tomorrow" is the 26th.
    expect(parseWhen('tomorrow 10:00', 'Asia/Tokyo', NOW)).toEqual(new Date('2026-11-26T01:00:00Z'));
  });

  it('keeps a wall-clock time across a change of clocks (London moves to BST on 2027-03-28)', () => {
    const beforeDst = new Date('2027-03-26T12:00:00Z'); // a Friday
    expect(parseWhen('mon 09:00', LONDON, beforeDst)).toEqual(new Date('2027-03-29T08:00:00Z'));
    // A span is a span: 72 hours later, whatever the wall clock says.
    expect(parseWhen('in 72h', LONDON, beforeDst)).toEqual(new Date('2027-03-29T12:00:00Z'));
  });

  it('refuses a day without a time, naming the day it understood', () => {
    expect(() => parseWhen('tomorrow', LONDON, NOW)).toThrow(/"tomorrow" says the day \(Wednesday 25 November\) but not the time: add one, like `tomorrow 10:00`/);
  });

  it('refuses a numeric date that reads two ways', () => {
    expect(() => parseWhen('12/01 10:00', LONDON, NOW)).toThrow(/could mean two days.*YYYY-MM-DD, like `2026-11-25 10:00`/);
  });

  it('refuses words around a time, saying which part it read', () => {
    expect(() => parseWhen('tomorrow 10:00 please', LONDON, NOW)).toThrow(/I read "tomorrow 10:00" in "tomorrow 10:00 please" and not the rest/);
    expect(() => parseWhen('next monday 2026-12-01', LONDON, NOW)).toThrow(CommandError);
  });

  it.each(['', 'soon', 'blah 10'])('refuses %j with examples of what works', (text) => {
    expect(() => parseWhen(text, LONDON, NOW)).toThrow(/`now`, `\+2h`, `in 30m`, `tomorrow 10:00`/);
  });

  it('does not echo markup from a bad time', () => {
    expect(() => parseWhen('<!channel>', LONDON, NOW)).toThrow(/^"!channel" is not a time/);
  });
});

describe('parseReleaseCommand: help', () => {
  it.each(['', '   ', 'help', 'HELP', '?'])('%j is help', (text) => {
    expect(parse(text)).toEqual({ verb: 'help' });
  });
});

describe('parseReleaseCommand: new', () => {
  it('takes a service and a version, lower-casing the service', () => {
    expect(parse('new Payments 1.2.3')).toEqual({ verb: 'new', service: 'payments', version: '1.2.3' });
  });

  it('accepts plan as another name for new', () => {
    expect(parse('plan payments 1.2.3')).toMatchObject({ verb: 'new', service: 'payments', version: '1.2.3' });
  });

  it('with nothing else, asks for the modal (every field left out)', () => {
    const command = parse('new');
    expect(command).toEqual({ verb: 'new' });
    expect(command).toMatchObject({ service: undefined, version: undefined });
  });

  it('reads every flag', () => {
    expect(parse('new payments 2.0.0 --type Major --at "2026-12-01 10:00" --title "Faster checkout" --risk HIGH --model two-waves')).toEqual({
      verb: 'new',
      service: 'payments',
      version: '2.0.0',
      type: 'major',
      at: new Date('2026-12-01T10:00:00Z'),
      title: 'Faster checkout',
      risk: 'high',
      model: 'two-waves',
    });
  });

  it('reads the plan\'s other fields, so a release can be planned complete by text alone', () => {
    expect(parse('new payments 2.0.0 --rollback "Redeploy 1.9.3" --tests “CI run 812 green” --description "New checkout" --training https://wiki.example.com/a https://wiki.example.com/b')).toEqual({
      verb: 'new',
      service: 'payments',
      version: '2.0.0',
      rollback: 'Redeploy 1.9.3',
      tests: 'CI run 812 green',
      description: 'New checkout',
      training: { needed: true, links: ['https://wiki.example.com/a', 'https://wiki.example.com/b'] },
    });
  });

  it('takes --training alone (needed, material to come) or --training no', () => {
    expect(parse('new payments 2.0.0 --training --at +1h')).toMatchObject({ training: { needed: true, links: [] }, at: new Date('2026-11-24T21:38:00Z') });
    expect(parse('new payments 2.0.0 --training no')).toMatchObject({ training: { needed: false, links: [] } });
    expect(errorOf('new payments 2.0.0 --training no https://wiki.example.com').message).toMatch(/`--training` takes links/);
  });

  it('accepts an em dash where a Slack client turned -- into one', () => {
    expect(parse('new payments 2.0.0 —title "x"')).toMatchObject({ title: 'x' });
  });

  it('refuses a flag given twice and an over-long value', () => {
    expect(errorOf('new payments 2.0.0 --title a --title b').message).toBe('`--title` is given twice.');
    expect(errorOf(`new payments 2.0.0 --title "${'x'.repeat(151)}"`).message).toBe('`--title` takes at most 150 characters.');
  });

  it('reads --at in the zone it is given', () => {
    expect(parse('new payments 2.0.0 --at "2026-12-01 10:00"', 'America/New_York')).toMatchObject({ at: new Date('2026-12-01T15:00:00Z') });
    expect(parse('new payments 2.0.0 --at 2026-07-01T10:00', LONDON)).toMatchObject({ at: new Date('2026-07-01T09:00:00Z') });
  });

  it('accepts flags anywhere, and --flag=value', () => {
    expect(parse('new --type=patch payments --risk=low 1.0.1 --at=2026-12-01T10:00')).toMatchObject({
      service: 'payments',
      version: '1.0.1',
      type: 'patch',
      risk: 'low',
      at: new Date('2026-12-01T10:00:00Z'),
    });
    expect(parse('new payments 1.0.1 --title=Hotfix')).toMatchObject({ title: 'Hotfix' });
  });

  it('accepts a curly-quoted title', () => {
    expect(parse('new payments 1.0.1 --title “Fix rounding”')).toMatchObject({ title: 'Fix rounding' });
    expect(parse('approve REL-2 “all good”')).toEqual({ verb: 'approve', id: 2, comment: 'all good' });
  });

  it('accepts emergency as a type', () => {
    expect(parse('new payments 1.0.2 --type emergency')).toMatchObject({ type: 'emergency' });
  });

  // BUG (src/bot/commands/grammar.ts:70): `split('=', 2)` drops everything after a second "=", so
  // `--title=a=b` becomes "a". Split at the first "=" only (indexOf) to keep the whole value.
  it('keeps an "=" inside an inline flag value', () => {
    expect(parse('new payments 1.0.1 --title=x=y')).toMatchObject({ title: 'x=y' });
  });

  it('refuses a third positional word and says to quote the title', () => {
    expect(errorOf('new payments 1.2.3 Faster checkout').message).toBe('`new` takes a service and a version; put a title in quotes: `--title "Faster checkout"`.');
  });

  it('refuses an unknown flag and lists the ones that apply', () => {
    expect(errorOf('new payments 1.2.3 --colour red').message).toBe(
      'Unknown option `--colour`. Options here: --type, --at, --title, --risk, --risk-reason, --model, --waves, --rollback, --tests, --description, --training, --impact, --contact.',
    );
  });

  it.each([
    ['new payments 1.2.3 --title', '`--title` needs a value.'],
    ['new payments 1.2.3 --type', '`--type` needs a value.'],
    ['new payments 1.2.3 --title --risk low', '`--title` needs a value.'],
    ['new payments 1.2.3 --at', '`--at` needs a value.'],
  ])('refuses a flag without its value: %j', (text, message) => {
    expect(errorOf(text).message).toBe(message);
  });

  it('refuses a type or risk outside the list, naming the choices', () => {
    expect(errorOf('new payments 1.2.3 --type huge').message).toBe('`--type` takes one of: major, minor, patch, emergency.');
    expect(errorOf('new payments 1.2.3 --risk extreme').message).toBe('`--risk` takes one of: low, medium, high.');
  });

  it('refuses a bad --at', () => {
    expect(errorOf('new payments 1.2.3 --at tomorrow').message).toMatch(/^"tomorrow" says the day/);
    expect(errorOf('new payments 1.2.3 --at soonish').message).toMatch(/^"soonish" is not a time/);
    expect(errorOf('new payments 1.2.3 --at "2026-12-01 25:00"').message).toMatch(/is not a time/);
  });
});

describe('parseReleaseCommand: commands on one release', () => {
  it('edit REL-n takes the plan flags, to change one field without the form', () => {
    expect(parse('edit REL-4 --tests "CI run 813 green" --at "tomorrow 10:00"')).toEqual({ verb: 'edit', id: 4, tests: 'CI run 813 green', at: new Date('2026-11-25T10:00:00Z') });
    expect(parse('edit REL-4 --version 1.4.1')).toEqual({ verb: 'edit', id: 4, version: '1.4.1' });
    expect(errorOf('edit REL-4 some words').message).toMatch(/^`edit` takes a release and options/);
  });

  it.each(['REL-12', 'rel-12', 'Rel-12', '12'])('reads the release %j as id 12', (key) => {
    expect(parse(`show ${key}`)).toEqual({ verb: 'show', id: 12 });
  });

  it.each(['edit', 'submit', 'show', 'start', 'pause', 'resume', 'retry', 'continue'] as const)('%s REL-n', (verb) => {
    expect(parse(`${verb} REL-4`)).toEqual({ verb, id: 4 });
    expect(parse(`${verb.toUpperCase()} rel-4`)).toEqual({ verb, id: 4 });
  });

  it.each(['edit', 'submit', 'show', 'start', 'pause', 'resume', 'retry', 'continue', 'approve', 'reject', 'cancel', 'schedule', 'abort', 'rollback', 'incident', 'review'])(
    '%s without a release says how to name one',
    (verb) => {
      const message = errorOf(verb).message;
      expect(message).toMatch(new RegExp(`^\`${verb}\` needs a release like REL-12: \`/release ${verb} REL-12`));
      expect(errorOf(`${verb} payments`).message).toBe(message);
    },
  );

  it.each(['REL-', 'REL-x', 'REL-1234567890', 'REL-1.5', 'RELEASE-1', '-1'])('refuses %j as a release', (key) => {
    expect(errorOf(`submit ${key}`).message).toContain('needs a release like REL-12');
  });

  it('incident needs a ticket or some words', () => {
    expect(parse('incident REL-3 INC-42')).toEqual({ verb: 'incident', id: 3, ref: 'INC-42' });
    expect(parse('incident REL-3 checkout errors in eu-1')).toEqual({ verb: 'incident', id: 3, ref: 'checkout errors in eu-1' });
    expect(errorOf('incident REL-3').message).toContain('`incident` needs the incident');
  });

  it('incident resolve names the release and the incident, and leaves `incident REL-n resolve …` a record', () => {
    expect(parse('incident resolve REL-3 INC-42')).toEqual({ verb: 'incident', id: 3, ref: 'INC-42', resolve: true });
    expect(parse('INCIDENT Resolve rel-3 checkout errors in eu-1')).toEqual({ verb: 'incident', id: 3, ref: 'checkout errors in eu-1', resolve: true });
    // An incident whose words start with "resolve" is still recorded, as before.
    expect(parse('incident REL-3 resolve timeouts')).toEqual({ verb: 'incident', id: 3, ref: 'resolve timeouts' });
    expect(errorOf('incident resolve').message).toBe('`incident resolve` needs a release like REL-12: `/release incident resolve REL-12 <ticket or text>`.');
    expect(errorOf('incident resolve INC-42').message).toContain('`incident resolve` needs a release like REL-12');
    expect(errorOf('incident resolve REL-3').message).toContain('`incident resolve` needs the incident, as it was recorded');
  });

  it('review names a release; lessons takes words, a quoted phrase kept as a phrase', () => {
    expect(parse('review rel-9')).toEqual({ verb: 'review', id: 9 });
    expect(parse('lessons database migration')).toEqual({ verb: 'lessons', words: 'database migration' });
    expect(parse('lessons "feature flag" or canary -mobile')).toEqual({ verb: 'lessons', words: '"feature flag" or canary -mobile' });
    expect(errorOf('lessons').message).toContain('`lessons` needs words to look for');
  });

  it('approve takes an optional comment', () => {
    expect(parse('approve REL-3')).toEqual({ verb: 'approve', id: 3, comment: null });
    expect(parse('approve REL-3 looks good, ship it')).toEqual({ verb: 'approve', id: 3, comment: 'looks good, ship it' });
    expect(parse('approve REL-3 "quoted comment"')).toEqual({ verb: 'approve', id: 3, comment: 'quoted comment' });
  });

  it('reject needs a reason', () => {
    expect(parse('reject REL-3 the rollback plan is missing a step')).toEqual({ verb: 'reject', id: 3, reason: 'the rollback plan is missing a step' });
    expect(errorOf('reject REL-3').message).toBe('`reject` needs a reason: `/release reject REL-12 the rollback plan is missing a step`.');
    expect(errorOf('reject REL-3 ""').message).toMatch(/needs a reason/);
  });

  it('cancel takes an optional reason', () => {
    expect(parse('cancel REL-8')).toEqual({ verb: 'cancel', id: 8, reason: '' });
    expect(parse('cancel REL-8 superseded by 1.3.0')).toEqual({ verb: 'cancel', id: 8, reason: 'superseded by 1.3.0' });
  });

  it.each(['abort', 'rollback'] as const)('%s needs a reason', (verb) => {
    expect(parse(`${verb} REL-5 error rate doubled in eu-1`)).toEqual({ verb, id: 5, reason: 'error rate doubled in eu-1' });
    expect(errorOf(`${verb} REL-5`).message).toBe(`\`${verb}\` needs a reason: \`/release ${verb} REL-12 error rate doubled in eu-1\`.`);
  });

  it('schedule reads a time, quoted or not, in the zone', () => {
    const expected = { verb: 'schedule', id: 6, at: new Date('2026-12-01T10:00:00Z') };
    expect(parse('schedule REL-6 "2026-12-01 10:00"')).toEqual(expected);
    expect(parse('schedule REL-6 2026-12-01 10:00')).toEqual(expected);
    expect(parse('schedule REL-6 2026-12-01T10:00')).toEqual(expected);
    expect(parse('schedule REL-6 2026-12-01 10:00', 'America/New_York')).toEqual({ ...expected, at: new Date('2026-12-01T15:00:00Z') });
  });

  it('schedule needs a valid time', () => {
    expect(errorOf('schedule REL-6').message).toBe('`schedule` needs a time: `/release schedule REL-12 tomorrow 10:00` (or `+2h`, `mon 09:00`, `YYYY-MM-DD HH:mm`).');
    expect(errorOf('schedule REL-6 next tuesday').message).toMatch(/^"next tuesday" says the day \(Tuesday 1 December\) but not the time/);
    expect(parse('schedule REL-6 in 2h')).toEqual({ verb: 'schedule', id: 6, at: new Date('2026-11-24T22:38:00Z') });
  });

  it('audit takes an optional release', () => {
    expect(parse('audit')).toEqual({ verb: 'audit' });
    expect(parse('audit REL-5')).toEqual({ verb: 'audit', id: 5 });
    expect(errorOf('audit everything').message).toContain('needs a release like REL-12');
  });
});

describe('parseReleaseCommand: list, policy, calendar', () => {
  it('list takes an optional service and state', () => {
    expect(parse('list')).toEqual({ verb: 'list' });
    expect(parse('list Payments')).toEqual({ verb: 'list', service: 'payments' });
    expect(parse('list --state in_progress')).toEqual({ verb: 'list', state: 'in_progress' });
    expect(parse('list payments --state=SCHEDULED')).toEqual({ verb: 'list', service: 'payments', state: 'scheduled' });
  });

  it('list refuses an unknown state or option', () => {
    expect(errorOf('list --state done').message).toBe(
      '`--state` takes one of: draft, submitted, approved, rejected, scheduled, in_progress, paused, completed, failed, rolled_back, cancelled.',
    );
    expect(errorOf('list --type minor').message).toBe('Unknown option `--type`. Options here: --state.');
  });

  it('policy takes an optional service', () => {
    expect(parse('policy')).toEqual({ verb: 'policy' });
    expect(parse('policy Payments')).toEqual({ verb: 'policy', service: 'payments' });
  });

  it('calendar defaults to 14 days and takes 1 to 90, with or without a "d"', () => {
    expect(parse('calendar')).toEqual({ verb: 'calendar', days: 14 });
    expect(parse('calendar 30')).toEqual({ verb: 'calendar', days: 30 });
    expect(parse('calendar 30d')).toEqual({ verb: 'calendar', days: 30 });
    expect(parse('calendar 1')).toEqual({ verb: 'calendar', days: 1 });
    expect(parse('calendar 90D')).toEqual({ verb: 'calendar', days: 90 });
  });

  it.each(['0', '91', '1.5', 'week', '-3', '""'])('calendar refuses %s', (days) => {
    expect(errorOf(`calendar ${days}`).message).toBe('`calendar` takes a number of days from 1 to 90: `/release calendar 30`.');
  });
});

describe('parseReleaseCommand: what it refuses', () => {
  it('refuses an unknown verb and points to help', () => {
    expect(errorOf('deploy REL-1').message).toBe("I don't know `deploy`. Try `/release help`.");
  });

  it('does not echo markup from an unknown verb', () => {
    const message = errorOf('<!channel> hello').message;
    expect(message).not.toMatch(/[<>]/);
    expect(message).toBe("I don't know `!channel`. Try `/release help`.");
    expect(errorOf('<@U0123|alice>').message).not.toMatch(/[<>&]/);
    expect(errorOf('a&amp;b').message).not.toContain('&');
  });

  it('shortens a long unknown verb', () => {
    const message = errorOf('x'.repeat(200)).message;
    expect(message).toContain(`${'x'.repeat(30)}…`);
    expect(message.length).toBeLessThan(100);
  });

  it('does not echo markup from an unknown flag or a bad time', () => {
    expect(errorOf('new payments 1.0.0 --<!here>').message).not.toMatch(/[<>]/);
    expect(errorOf('new payments 1.0.0 --at "<!everyone>"').message).not.toMatch(/[<>]/);
    expect(errorOf('schedule REL-1 <https://evil.example|click>').message).not.toMatch(/[<>]/);
  });

  it('refuses text over 4,000 characters, and accepts 4,000', () => {
    const padding = (n: number) => `approve REL-1 ${'a'.repeat(n - 'approve REL-1 '.length)}`;
    expect(parse(padding(4000))).toMatchObject({ verb: 'approve', id: 1 });
    expect(errorOf(padding(4001)).message).toBe('That command is 4001 characters long; /release takes at most 4000.');
  });

  it('CommandError is an Error named CommandError', () => {
    const error = errorOf('nope');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CommandError');
  });
});

describe('parseReleaseCommand: coordination verbs', () => {
  it('reads lock, unlock, locks and whoami', () => {
    expect(parse('lock Payments eu-1 "db migration" --for 2h')).toEqual({ verb: 'lock', service: 'payments', words: ['eu-1', 'db migration'], durationMs: 2 * 3_600_000 });
    expect(parse('lock payments db migration')).toEqual({ verb: 'lock', service: 'payments', words: ['db', 'migration'], durationMs: undefined });
    expect(parse('unlock payments eu-1 eu-2')).toEqual({ verb: 'unlock', service: 'payments', targets: ['eu-1', 'eu-2'] });
    expect(parse('locks')).toEqual({ verb: 'locks', service: undefined });
    expect(parse('whoami')).toEqual({ verb: 'whoami' });
  });

  it('refuses a lock without a service or with a bad duration', () => {
    expect(errorOf('lock').message).toMatch(/`lock` needs a service and a reason/);
    expect(errorOf('lock payments eu-1 x --for tomorrow').message).toBe('`--for` takes a duration like 30m, 2h or 1d.');
    expect(errorOf('unlock').message).toMatch(/`unlock` needs a service/);
  });

  it('reads start --force, and refuses --force elsewhere', () => {
    expect(parse('start REL-4 --force')).toEqual({ verb: 'start', id: 4, force: true });
    expect(parse('start REL-4')).toEqual({ verb: 'start', id: 4 });
    expect(errorOf('pause REL-4 --force').message).toMatch(/`pause` takes a release/);
  });

  it('reads --risk-reason with new and edit', () => {
    expect(parse('new payments 1.2.3 --risk low --risk-reason "behind a flag"')).toMatchObject({ risk: 'low', riskReason: 'behind a flag' });
    expect(parse('edit REL-3 --risk-reason "dark launch"')).toMatchObject({ verb: 'edit', id: 3, riskReason: 'dark launch' });
  });
});
