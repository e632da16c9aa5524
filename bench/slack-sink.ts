// The fake Slack for bench:ack, in a process of its own so its work is not timed with the load.
import { SlackEmulator } from '../src/console/slack-emulator.ts';

const slack = await new SlackEmulator().start();
// Keep nothing: the bench only needs Slack to answer.
slack.on('message', () => slack.reset());
process.stdout.write(`listening ${new URL(slack.url).port}\n`);
process.on('SIGTERM', () => void slack.stop().then(() => process.exit(0)));
