import { WebClient, WebClientEvent, LogLevel, type Block, type ChatPostMessageArguments, type KnownBlock } from '@slack/web-api';
import type { Directory } from '../../core/policy.ts';
import { classifySlackError } from './errors.ts';
import { RateLimitedError } from '../../core/effects/errors.ts';

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

/** Spaces posts to one channel across processes; answers how long to wait for this post's turn. */
export interface ChannelPacer {
  reserve(channel: string, spacingMs: number): Promise<number>;
}

/** Where what Slack said of a person (timezone, DM channel) is kept between processes and restarts. */
export interface PeopleCache {
  find(userId: string): Promise<{ tz: string | null; tzCheckedAt: Date | null; dmChannel: string | null } | undefined>;
  saveTimezone(userId: string, tz: string | null, at: Date): Promise<void>;
  saveDmChannel(userId: string, channel: string): Promise<void>;
  /** The timezones kept for these people, checked after `since`. */
  findTimezones(userIds: string[], since: Date): Promise<Map<string, string>>;
  saveTimezones(entries: [string, string][], at: Date): Promise<void>;
}

/** More people than this without a known timezone, and users.list (1,000 a page) is cheaper than users.info each. */
const USERS_LIST_THRESHOLD = 20;

/** Slack allows about one message a second in a channel; bursts may be dropped. */
const CHANNEL_SPACING_MS = 1_000;
/** Longer than this to wait for a channel's turn, and the post is handed back to be retried later. */
const MAX_PACE_WAIT_MS = 5_000;
/** How long a timezone read from Slack is trusted. */
const TIMEZONE_TTL_MS = 7 * 24 * 3_600_000;

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
  readonly #pacer?: ChannelPacer;
  readonly #people?: PeopleCache;
  /** Counts each 429 and its Retry-After (for metrics). */
  onRateLimited?: (method: string, retryAfterSeconds: number) => void;

  /**
   * `rejectRateLimited`: a 429 is thrown as RateLimitedError instead of waited out inside this process,
   * so a job queue can pause every worker for the Retry-After (the workers' client); the bot's client
   * waits it out, as a person is waiting for the answer.
   */
  constructor(options: { token: string; apiUrl: string; cacheMs?: number; timeoutMs?: number; retries?: number; rejectRateLimited?: boolean; pacer?: ChannelPacer; people?: PeopleCache }) {
    this.client = new WebClient(options.token, {
      slackApiUrl: options.apiUrl,
      timeout: options.timeoutMs ?? 10_000,
      retryConfig: { retries: options.retries ?? 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
      rejectRateLimitedCalls: options.rejectRateLimited ?? false,
      logLevel: LogLevel.ERROR,
    });
    this.client.on(WebClientEvent.RATE_LIMITED, (retryAfter: number, { url }: { url: string }) => this.onRateLimited?.(url, retryAfter));
    this.#cacheMs = options.cacheMs ?? 60_000;
    this.#pacer = options.pacer;
    this.#people = options.people;
  }

  async #call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw classifySlackError(method, error);
    }
  }

  /** Waits for the channel's turn; a turn too far off is handed back as a rate limit to retry later. */
  async #pace(channel: string): Promise<void> {
    if (!this.#pacer) return;
    const wait = await this.#pacer.reserve(channel, CHANNEL_SPACING_MS);
    if (wait > MAX_PACE_WAIT_MS) throw new RateLimitedError(`posting in ${channel}`, wait);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  async post(message: OutgoingMessage): Promise<MessageRef> {
    await this.#pace(message.channel);
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

  /**
   * Uploads a file into a channel with Slack's current flow (files.getUploadURLExternal, the upload,
   * files.completeUploadExternal), as @slack/web-api's filesUploadV2 does it; files.upload is retired.
   */
  async uploadFile(upload: { channel: string; filename: string; title: string; altText: string; bytes: Buffer; threadTs?: string }): Promise<{ fileId: string }> {
    await this.#pace(upload.channel);
    const result = await this.#call('files.completeUploadExternal', () =>
      this.client.filesUploadV2({
        channel_id: upload.channel,
        file: upload.bytes,
        filename: upload.filename,
        title: upload.title,
        alt_text: upload.altText,
        ...(upload.threadTs ? { thread_ts: upload.threadTs } : {}),
      } as Parameters<WebClient['filesUploadV2']>[0]),
    );
    const completed = (result as { files?: { files?: { id?: string }[] }[] }).files?.flatMap((f) => f.files ?? []) ?? [];
    const id = completed[0]?.id;
    if (!id) throw new Error(`Slack completed the upload of ${upload.filename} without a file id`);
    return { fileId: id };
  }

  /** A file an earlier attempt shared in the channel under `filename` (names carry the idempotency key). */
  async findSharedFile(channel: string, filename: string): Promise<string | undefined> {
    const result = await this.#call('conversations.history', () => this.client.conversations.history({ channel, limit: 200 }));
    for (const message of result.messages ?? []) {
      const file = (message as { files?: { id?: string; name?: string }[] }).files?.find((f) => f.name === filename);
      if (file?.id) return file.id;
    }
    return undefined;
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
    const known = this.#dmChannels.get(userId) ?? (await this.#people?.find(userId))?.dmChannel ?? undefined;
    if (known) {
      this.#dmChannels.set(userId, known);
      return known;
    }
    const result = await this.#call('conversations.open', () => this.client.conversations.open({ users: userId }));
    const id = result.channel?.id;
    if (!id) throw new Error(`Slack conversations.open gave no channel for ${userId}`);
    this.#dmChannels.set(userId, id);
    await this.#people?.saveDmChannel(userId, id);
    return id;
  }

  /** The user's IANA timezone from their Slack profile, or undefined when Slack does not say. */
  async userTimezone(userId: string): Promise<string | undefined> {
    const cached = this.#tzCache.get(userId);
    if (cached && cached.until > Date.now()) return cached.tz;
    const kept = await this.#people?.find(userId).catch(() => undefined);
    if (kept?.tz && kept.tzCheckedAt && kept.tzCheckedAt.getTime() > Date.now() - TIMEZONE_TTL_MS) {
      this.#tzCache.set(userId, { tz: kept.tz, until: Date.now() + 10 * this.#cacheMs });
      return kept.tz;
    }
    try {
      const result = await this.client.users.info({ user: userId });
      const tz = result.user?.tz;
      if (tz) {
        this.#tzCache.set(userId, { tz, until: Date.now() + 10 * this.#cacheMs });
        await this.#people?.saveTimezone(userId, tz, new Date()).catch(() => {});
      }
      return tz;
    } catch (error) {
      // Rate limited: the caller tries again later rather than guessing the person's night.
      const classified = classifySlackError('users.info', error);
      if (classified instanceof RateLimitedError) throw classified;
      return kept?.tz ?? undefined;
    }
  }

  /**
   * Each person's timezone, as Slack's profile says: from this process's memory, then the database,
   * then Slack (users.info for a few, users.list pages for many, since users.info is Tier 4).
   */
  async timezones(userIds: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const now = Date.now();
    let missing = userIds.filter((id) => {
      const cached = this.#tzCache.get(id);
      if (cached && cached.until > now) found.set(id, cached.tz);
      return !found.has(id);
    });
    if (missing.length && this.#people) {
      for (let i = 0; i < missing.length; i += 1_000) {
        for (const [id, tz] of await this.#people.findTimezones(missing.slice(i, i + 1_000), new Date(now - TIMEZONE_TTL_MS))) found.set(id, tz);
      }
      missing = missing.filter((id) => !found.has(id));
    }
    const learned: [string, string][] = [];
    if (missing.length > USERS_LIST_THRESHOLD) {
      const wanted = new Set(missing);
      let cursor: string | undefined;
      do {
        const page = await this.#call('users.list', () => this.client.users.list({ limit: 1_000, ...(cursor ? { cursor } : {}) }));
        for (const member of page.members ?? []) {
          if (member.id && member.tz && wanted.has(member.id)) learned.push([member.id, member.tz]);
        }
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor && learned.length < wanted.size);
    } else {
      for (const id of missing) {
        const tz = await this.userTimezone(id);
        if (tz) found.set(id, tz);
      }
    }
    for (const [id, tz] of learned) {
      found.set(id, tz);
      this.#tzCache.set(id, { tz, until: now + 10 * this.#cacheMs });
    }
    if (learned.length) await this.#people?.saveTimezones(learned, new Date()).catch(() => {});
    return found;
  }

  async authTest(): Promise<{ team?: string; user?: string; botId?: string }> {
    const result = await this.#call('auth.test', () => this.client.auth.test());
    return { team: result.team, user: result.user, botId: result.bot_id };
  }
}
