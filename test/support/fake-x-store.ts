import { createHash } from 'node:crypto';

/** A DM event as the fake X keeps it (all of X's fields a lookup may ask for). */
export interface FakeDmEvent {
  id: string;
  event_type: 'MessageCreate';
  /** As X shows it: every link wrapped in a t.co link. */
  text: string;
  sender_id: string;
  dm_conversation_id: string;
  created_at: string;
  /** Each t.co link of `text` and the link it stands for, as X's `entities.urls` give them. */
  entities?: { urls: XUrlEntity[] };
}

/** One link of a text as X's `entities.urls` describe it. */
export interface XUrlEntity {
  start: number;
  end: number;
  url: string;
  expanded_url: string;
  display_url: string;
}

/** A post as the fake X keeps it. */
export interface FakePost {
  id: string;
  text: string;
  author_id: string;
  created_at: string;
  edit_history_tweet_ids: string[];
  referenced_tweets?: { type: 'replied_to' | 'quoted' | 'retweeted'; id: string }[];
  in_reply_to_user_id?: string;
}

/** An answer of a read endpoint: its status and body. */
export interface FakeAnswer {
  status: number;
  body: unknown;
}

/** X's epoch of snowflake ids (2010-11-04T01:42:54.657Z). */
const X_EPOCH = 1288834974657n;

/**
 * What the fake X API holds: DM conversations and posts, with ids made as X makes them (snowflakes,
 * time-ordered) and links in DM text wrapped in t.co links as X does. It answers the two read
 * endpoints a look for a sent reply uses, with their documented parameters, fields and paging.
 * @see https://docs.x.com/x-api/direct-messages/lookup/api-reference/get-dm_conversations-with-participant_id-dm_events
 * @see https://docs.x.com/x-api/posts/timelines/api-reference/get-users-id-tweets
 */
export class FakeXStore {
  /** Per conversation (the other participant's id), oldest first. */
  private readonly dms = new Map<string, FakeDmEvent[]>();
  /** Oldest first. */
  private readonly posts: FakePost[] = [];
  private lastId = 0n;
  /** How far X's clock runs ahead of the real one (see {@link moveClock}). */
  private aheadMs = 0;

  constructor(private readonly ourUserId: string) {}

  /**
   * From now on, what X makes is stamped `ms` later than the real clock (ids and `created_at`), as a
   * request reaching X that much later would be: a test need not sleep through the minutes.
   */
  moveClock(ms: number): void {
    this.aheadMs += ms;
  }

  /** X's time now. */
  private now(): number {
    return Date.now() + this.aheadMs;
  }

  /** A new snowflake id: the time since X's epoch in the high bits, so newer ids are larger. */
  nextId(): string {
    const id = (BigInt(this.now()) - X_EPOCH) << 22n;
    this.lastId = id > this.lastId ? id : this.lastId + 1n;
    return String(this.lastId);
  }

  /** Stores a DM of `senderId` in our conversation with `participantId`; returns its event id. */
  addDm(participantId: string, senderId: string, text: string): string {
    const id = this.nextId();
    const events = this.dms.get(participantId) ?? [];
    const urls = linkEntities(text);
    events.push({
      id,
      event_type: 'MessageCreate',
      text: wrapLinks(text),
      ...(urls.length ? { entities: { urls } } : {}),
      sender_id: senderId,
      dm_conversation_id: [this.ourUserId, participantId].sort().join('-'),
      created_at: new Date(this.now()).toISOString(),
    });
    this.dms.set(participantId, events);
    return id;
  }

  /** Stores a post of `authorId`, a reply when `inReplyTo` is given; returns it. */
  addPost(authorId: string, text: string, inReplyTo?: string): FakePost {
    const id = this.nextId();
    const repliedTo = inReplyTo === undefined ? undefined : this.posts.find((post) => post.id === inReplyTo);
    const post: FakePost = {
      id,
      text: wrapLinks(text),
      author_id: authorId,
      created_at: new Date(this.now()).toISOString(),
      edit_history_tweet_ids: [id],
      ...(inReplyTo === undefined
        ? {}
        : { referenced_tweets: [{ type: 'replied_to' as const, id: inReplyTo }] }),
      ...(repliedTo ? { in_reply_to_user_id: repliedTo.author_id } : {}),
    };
    this.posts.push(post);
    return post;
  }

  dmEventsWith(participantId: string): FakeDmEvent[] {
    return [...(this.dms.get(participantId) ?? [])];
  }

  postsBy(authorId: string): FakePost[] {
    return this.posts.filter((post) => post.author_id === authorId);
  }

  /** `GET /2/dm_conversations/with/:participant_id/dm_events`: newest first, 1–100 a page (100). */
  dmEvents(participantId: string, query: URLSearchParams): FakeAnswer {
    const size = pageSize(query, 1, 100, 100);
    if (typeof size !== 'number') return size;
    const types = list(query.get('event_types'));
    const events = this.dmEventsWith(participantId)
      .reverse()
      .filter((event) => types.length === 0 || types.includes(event.event_type));
    const fields = ['id', 'event_type', 'text', ...list(query.get('dm_event.fields'))];
    return page(events, size, query.get('pagination_token'), fields, false);
  }

  /** `GET /2/users/:id/tweets`: newest first, after `since_id` and before `until_id`, 5–100 a page (10). */
  timeline(userId: string, query: URLSearchParams): FakeAnswer {
    const size = pageSize(query, 5, 100, 10);
    if (typeof size !== 'number') return size;
    const since = query.get('since_id');
    const until = query.get('until_id');
    const invalid = [since, until].find((id) => id !== null && !/^\d{1,19}$/.test(id));
    if (invalid !== undefined) {
      const detail = `The \`since_id\`/\`until_id\` query parameter value [${invalid}] is not a post id`;
      return { status: 400, body: { title: 'Invalid Request', detail, type: 'about:blank', status: 400 } };
    }
    const endTime = query.get('end_time');
    if (endTime !== null && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(endTime)) {
      const detail = `The \`end_time\` query parameter value [${endTime}] is not a valid time`;
      return { status: 400, body: { title: 'Invalid Request', detail, type: 'about:blank', status: 400 } };
    }
    const excluded = list(query.get('exclude'));
    const posts = this.postsBy(userId)
      .reverse()
      .filter((post) => since === null || BigInt(post.id) > BigInt(since))
      .filter((post) => until === null || BigInt(post.id) < BigInt(until))
      // Inclusive, to the second.
      .filter((post) => endTime === null || Date.parse(post.created_at) < Date.parse(endTime) + 1000)
      .filter((post) => !excluded.includes('replies') || post.referenced_tweets === undefined)
      .filter(
        (post) =>
          !excluded.includes('retweets') || !post.referenced_tweets?.some((ref) => ref.type === 'retweeted'),
      );
    const fields = ['id', 'text', 'edit_history_tweet_ids', ...list(query.get('tweet.fields'))];
    return page(posts, size, query.get('pagination_token'), fields, true);
  }
}

/** X's t.co wrapping: each link becomes `https://t.co/<10 characters>`, the same for the same link. */
export function wrapLinks(text: string): string {
  return text.replace(/https?:\/\/\S+/g, (url) => {
    const code = createHash('sha256').update(url).digest('base64url').slice(0, 10);
    return `https://t.co/${code}`;
  });
}

/** The `entities.urls` X gives for the links of `text` once wrapped (ours are ASCII, so offsets match). */
function linkEntities(text: string): XUrlEntity[] {
  const urls: XUrlEntity[] = [];
  let shift = 0;
  for (const match of text.matchAll(/https?:\/\/\S+/g)) {
    const url = wrapLinks(match[0]);
    const start = (match.index ?? 0) + shift;
    urls.push({
      start,
      end: start + url.length,
      url,
      expanded_url: match[0],
      display_url: match[0].replace(/^https?:\/\//, '').slice(0, 25),
    });
    shift += url.length - match[0].length;
  }
  return urls;
}

function list(value: string | null): string[] {
  return value ? value.split(',').filter(Boolean) : [];
}

function pageSize(query: URLSearchParams, min: number, max: number, byDefault: number): number | FakeAnswer {
  const raw = query.get('max_results');
  const size = raw === null ? byDefault : Number(raw);
  if (Number.isInteger(size) && size >= min && size <= max) return size;
  return {
    status: 400,
    body: {
      errors: [
        {
          parameters: { max_results: [raw] },
          message: `The \`max_results\` query parameter value [${raw}] is not between ${min} and ${max}`,
        },
      ],
      title: 'Invalid Request',
      detail: 'One or more parameters to your request was invalid.',
      type: 'https://api.twitter.com/2/problems/invalid-request',
    },
  };
}

/**
 * One page of `items` (newest first) from the opaque `pagination_token`, with only the asked `fields`
 * of each; `meta.next_token` when more follow (and a timeline's `newest_id`/`oldest_id` of the page),
 * and no `data` when there is nothing, as X answers.
 */
function page<T extends { id: string }>(
  items: T[],
  size: number,
  token: string | null,
  fields: string[],
  timeline: boolean,
): FakeAnswer {
  const start = token ? Number(Buffer.from(token, 'base64url').toString('utf8').replace('page:', '')) : 0;
  if (!Number.isInteger(start) || start < 0) {
    return {
      status: 400,
      body: {
        title: 'Invalid Request',
        detail: 'Invalid pagination_token',
        type: 'about:blank',
        status: 400,
      },
    };
  }
  const shown = items.slice(start, start + size);
  const data = shown.map((item) =>
    Object.fromEntries(Object.entries(item).filter(([field]) => fields.includes(field))),
  );
  const next =
    start + size < items.length ? Buffer.from(`page:${start + size}`).toString('base64url') : undefined;
  const previous =
    start > 0 ? Buffer.from(`page:${Math.max(0, start - size)}`).toString('base64url') : undefined;
  return {
    status: 200,
    body: {
      ...(data.length ? { data } : {}),
      meta: {
        result_count: data.length,
        ...(timeline && shown.length ? { newest_id: shown[0]?.id, oldest_id: shown.at(-1)?.id } : {}),
        ...(next ? { next_token: next } : {}),
        ...(previous ? { previous_token: previous } : {}),
      },
    },
  };
}
