import { WebClient, LogLevel, type Block, type ChatPostMessageArguments, type KnownBlock } from '@slack/web-api';
import type { Directory } from '../../core/policy.ts';
import { classifySlackError } from './errors.ts';

export interface MessageRef {
  channel: string;
  ts: string;
}

export interface OutgoingMessage {
  channel: string;
  text: string;
  blocks?: (Block | KnownBlock)[];
  threadTs?: string;
  broadcast?: boolean;
  /** Stored on the message so a retry can find what an earlier attempt already posted. */
  idempotencyKey?: string;
}

const METADATA_EVENT = 'relm_effect';

/**
 * The slice of Slack's Web API relm uses, behind one small interface: jobs and the console depend on
 * this, never on WebClient directly.
 */
export class SlackWebApi implements Directory {
  readonly client: WebClient;
  readonly #groupCache = new Map<string, { members: string[]; until: number }>();
  readonly #tzCache = new Map<string, { tz: string; until: number }>();
  readonly #dmChannels = new Map<string, string>();
  readonly #cacheMs: number;

  constructor(options: { token: string; apiUrl: string; cacheMs?: number; timeoutMs?: number; retries?: number }) {
    this.client = new WebClient(options.token, {
      slackApiUrl: options.apiUrl,
      timeout: options.timeoutMs ?? 10_000,
      retryConfig: { retries: options.retries ?? 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
      logLevel: LogLevel.ERROR,
    });
    this.#cacheMs = options.cacheMs ?? 60_000;
  }

  async #call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw classifySlackError(method, error);
    }
  }

  async post(message: OutgoingMessage): Promise<MessageRef> {
    const result = await this.#call('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel: message.channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        ...(message.threadTs ? { thread_ts: message.threadTs, reply_broadcast: message.broadcast ?? false } : {}),
        unfurl_links: false,
        ...(message.idempotencyKey ? { metadata: { event_type: METADATA_EVENT, event_payload: { key: message.idempotencyKey } } } : {}),
      } as ChatPostMessageArguments),
    );
    return { channel: result.channel ?? message.channel, ts: result.ts as string };
  }

  /** chat.getPermalink: a link that opens the message in Slack. */
  async permalink(ref: MessageRef): Promise<string> {
    const result = await this.#call('chat.getPermalink', () => this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts }));
    return result.permalink as string;
  }

  async update(ref: MessageRef, message: Omit<OutgoingMessage, 'channel' | 'threadTs'>): Promise<void> {
    await this.#call('chat.update', () => this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, blocks: (message.blocks ?? []) as KnownBlock[] }));
  }

  async ephemeral(channel: string, user: string, text: string, blocks?: (Block | KnownBlock)[]): Promise<void> {
    await this.#call('chat.postEphemeral', () => this.client.chat.postEphemeral({ channel, user, text, blocks }));
  }

  /**
   * Looks for a message an earlier attempt posted with `idempotencyKey`, in the channel or in a thread.
   * Used only on retries after a crash, so its cost is paid rarely.
   */
  async findPosted(channel: string, idempotencyKey: string, threadTs?: string): Promise<MessageRef | undefined> {
    const result = await this.#call(threadTs ? 'conversations.replies' : 'conversations.history', () =>
      threadTs
        ? this.client.conversations.replies({ channel, ts: threadTs, include_all_metadata: true, limit: 200 })
        : this.client.conversations.history({ channel, include_all_metadata: true, limit: 200 }),
    );
    const found = result.messages?.find((m) => {
      const metadata = (m as { metadata?: { event_type?: string; event_payload?: { key?: string } } }).metadata;
      return metadata?.event_type === METADATA_EVENT && metadata.event_payload?.key === idempotencyKey;
    });
    return found?.ts ? { channel, ts: found.ts } : undefined;
  }

  /** views.publish: sets a person's App Home tab to `view` (a `type: 'home'` view). */
  async publishHome(userId: string, view: { type: 'home'; blocks: (Block | KnownBlock)[]; callback_id?: string }): Promise<void> {
    await this.#call('views.publish', () => this.client.views.publish({ user_id: userId, view: view as any }));
  }

  async userGroupMembers(groupId: string): Promise<string[]> {
    const cached = this.#groupCache.get(groupId);
    if (cached && cached.until > Date.now()) return cached.members;
    const result = await this.#call('usergroups.users.list', () => this.client.usergroups.users.list({ usergroup: groupId }));
    const members = result.users ?? [];
    this.#groupCache.set(groupId, { members, until: Date.now() + this.#cacheMs });
    return members;
  }

  /** The DM channel with a user (conversations.open is Tier 3, so the id is kept once known). */
  async directMessageChannel(userId: string): Promise<string> {
    const known = this.#dmChannels.get(userId);
    if (known) return known;
    const result = await this.#call('conversations.open', () => this.client.conversations.open({ users: userId }));
    const id = result.channel?.id;
    if (!id) throw new Error(`Slack conversations.open gave no channel for ${userId}`);
    this.#dmChannels.set(userId, id);
    return id;
  }

  /** The user's IANA timezone from their Slack profile, or undefined when Slack does not say. */
  async userTimezone(userId: string): Promise<string | undefined> {
    const cached = this.#tzCache.get(userId);
    if (cached && cached.until > Date.now()) return cached.tz;
    try {
      const result = await this.client.users.info({ user: userId });
      const tz = result.user?.tz;
      if (tz) this.#tzCache.set(userId, { tz, until: Date.now() + 10 * this.#cacheMs });
      return tz;
    } catch {
      return undefined;
    }
  }

  async authTest(): Promise<{ team?: string; user?: string; botId?: string }> {
    const result = await this.#call('auth.test', () => this.client.auth.test());
    return { team: result.team, user: result.user, botId: result.bot_id };
  }
}
