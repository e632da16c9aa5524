import { readEnv, slackConfigGap, slackConfigured, type Env } from './config/env.ts';
import { ConfigFileError, loadRelmFile } from './config/relm-file.ts';
import { createRelm, STOP_DEADLINE_MS, type Role } from './app.ts';
import { guardProcess } from './process-guard.ts';
import { createLogger } from './log.ts';
import { createDatabase, describeDatabase, migrateToLatest } from './store/database.ts';
import { runConsole } from './console/console.ts';
import { runDoctor } from './doctor.ts';
import type { Settings } from './core/settings.ts';
import { parseArgs } from 'node:util';
import { describeAuditCheck, describeAuditExport, exportAuditLog, verifyAuditFile } from './audit-cli.ts';
import { kpiExport } from './report-cli.ts';
import { DomainError } from './core/errors.ts';

const USAGE = `usage: relm <command>

  start     the Slack receiver and the job workers (the local console when Slack is not configured)
  bot       the Slack receiver alone
  worker    the job workers alone
  migrate   apply database migrations
  console   the local console: /release as any user, messages as text, buttons by number
  doctor    check every configured dependency and say how to fix what is wrong
  audit export [--out FILE]   the audit log as NDJSON with each entry's hash and the chain heads
  audit verify FILE [--heads sha256:…]
                              check such a file offline: exit 0, or 1 naming the first broken line;
                              --heads, the digest the export printed, proves nothing was cut off
  report --from DATE --to DATE [--service S | --team T] --format csv|json
                              the KPIs of a period and the releases they come from
`;

function fatal(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function loadSettings(env: Env): Settings {
  try {
    return loadRelmFile(env.RELM_CONFIG).settings;
  } catch (error) {
    if (error instanceof ConfigFileError) fatal(`relm: invalid configuration\n${error.message}`);
    throw error;
  }
}

async function serve(env: Env, role: Role): Promise<void> {
  const settings = loadSettings(env);
  const log = createLogger(env.LOG_LEVEL);
  guardProcess(log);
  let relm: Awaited<ReturnType<typeof createRelm>> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, deadlineMs: STOP_DEADLINE_MS }, 'draining and stopping');
    // Whatever hangs, the process is gone before an orchestrator's 10 s kill.
    setTimeout(() => {
      log.warn('stopping took too long; exiting');
      process.exit(0);
    }, STOP_DEADLINE_MS + 500).unref();
    await relm?.stop(STOP_DEADLINE_MS);
    log.info('stopped');
    process.exit(0);
  };
  // Installed before anything starts, so a signal during boot also stops cleanly.
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  relm = await createRelm({ env, settings, role, log });
  if (stopping) return relm.stop().then(() => process.exit(0));
  log.info({ role, port: relm.port, database: describeDatabase({ url: env.DATABASE_URL, dataDir: env.RELM_DATA_DIR }), mode: env.SLACK_APP_TOKEN ? 'socket' : 'http' }, 'relm is running');
}

async function audit(env: Env, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'verify') {
    let file: string | undefined;
    let headsDigest: string | undefined;
    try {
      const { values, positionals } = parseArgs({ args: rest, options: { heads: { type: 'string' } }, strict: true, allowPositionals: true });
      if (positionals.length !== 1) throw new Error('give one FILE');
      [file, headsDigest] = [positionals[0], values.heads];
    } catch (error) {
      fatal(`relm: ${(error as Error).message}\nusage: relm audit verify FILE [--heads sha256:…]`);
    }
    const check = await verifyAuditFile(file!, { headsDigest }).catch((error: NodeJS.ErrnoException) => fatal(`relm: cannot read ${file} (${error.code ?? error.message})`));
    process.stdout.write(`${describeAuditCheck(file!, check, headsDigest !== undefined)}\n`);
    process.exit(check.ok ? 0 : 1);
  }
  if (sub !== 'export') fatal('usage: relm audit export [--out FILE] | relm audit verify FILE');
  let out: string | undefined;
  try {
    const { values } = parseArgs({ args: rest, options: { out: { type: 'string', short: 'o' } }, strict: true, allowPositionals: false });
    out = values.out;
  } catch (error) {
    fatal(`relm: ${(error as Error).message}\nusage: relm audit export [--out FILE]`);
  }
  const db = createDatabase({ url: env.DATABASE_URL, dataDir: env.RELM_DATA_DIR });
  try {
    const summary = await exportAuditLog(db, { file: out });
    // On stderr: stdout may be the export itself.
    process.stderr.write(`${describeAuditExport(out ?? 'stdout', summary)}\n`);
  } finally {
    await db.destroy();
  }
}

async function report(env: Env, args: string[]): Promise<void> {
  const usage = 'usage: relm report --from <date> --to <date> [--service <service> | --team <team>] --format csv|json';
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args, options: { from: { type: 'string' }, to: { type: 'string' }, service: { type: 'string' }, team: { type: 'string' }, format: { type: 'string' } }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    fatal(`relm: ${(error as Error).message}\n${usage}`);
  }
  if (!values.from || !values.to) fatal(`relm: report needs --from and --to\n${usage}`);
  if (values.format !== 'csv' && values.format !== 'json') fatal(`relm: --format is csv or json\n${usage}`);
  if (values.service && values.team) fatal(`relm: give --service or --team, not both\n${usage}`);
  const settings = loadSettings(env);
  const db = createDatabase({ url: env.DATABASE_URL, dataDir: env.RELM_DATA_DIR });
  try {
    process.stdout.write(await kpiExport(db, settings, { from: values.from, to: values.to, service: values.service, team: values.team, format: values.format, now: new Date() }));
  } catch (error) {
    if (error instanceof DomainError) fatal(`relm: ${error.message}`);
    throw error;
  } finally {
    await db.destroy();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command = 'start'] = argv;
  let env: Env;
  try {
    env = readEnv();
  } catch (error) {
    fatal((error as Error).message);
  }
  switch (command) {
    case 'start': {
      const gap = slackConfigGap(env);
      if (gap) fatal(gap);
      if (slackConfigured(env)) return serve(env, 'all');
      process.stdout.write('No Slack credentials (SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN): starting the local console.\n');
      return runConsole(env, loadSettings(env));
    }
    case 'bot':
      if (!slackConfigured(env)) fatal(slackConfigGap(env) ?? 'relm bot needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode).');
      return serve(env, 'bot');
    case 'worker':
      return serve(env, 'worker');
    case 'migrate': {
      const db = createDatabase({ url: env.DATABASE_URL, dataDir: env.RELM_DATA_DIR });
      try {
        const result = await migrateToLatest(db);
        const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
        process.stdout.write(`${describeDatabase({ url: env.DATABASE_URL, dataDir: env.RELM_DATA_DIR })}: ${applied.length ? `applied ${applied.join(', ')}` : 'already up to date'}\n`);
      } finally {
        await db.destroy();
      }
      return;
    }
    case 'console':
      return runConsole(env, loadSettings(env));
    case 'doctor':
      process.exit(await runDoctor(env, process.stdout));
    case 'audit':
      return audit(env, argv.slice(1));
    case 'report':
      return report(env, argv.slice(1));
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      fatal(`relm: unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`relm: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
