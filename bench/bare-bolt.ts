// The baseline for bench:ack: a Bolt app over the same HTTP receiver that only acknowledges.
import { App, HTTPReceiver } from '@slack/bolt';

const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET!, endpoints: '/slack/events', bodyLimit: 1024 * 1024 });
const app = new App({ token: process.env.SLACK_BOT_TOKEN, receiver, clientOptions: { slackApiUrl: process.env.SLACK_API_URL }, deferInitialization: true });
app.command('/release', async ({ ack }) => ack());
app.action(/.*/, async ({ ack }) => ack());
await app.init();
const server = await app.start(Number(process.env.PORT ?? 0));
const address = (server as import('node:http').Server).address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
