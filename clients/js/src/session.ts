// The session as this page knows it, and its renewal: one refresh in flight per page, shared across the tabs of the
// browser with Web Locks (one tab refreshes, the others wait and take its outcome) and BroadcastChannel (every tab
// learns sign-ins, refreshes and sign-outs at once); a refresh scheduled shortly before the access token expires.
import { AuthError } from './errors.js';
import type { Session, SessionChange, SessionChangeReason, SessionListener } from './types.js';

export type LockManagerLike = Pick<LockManager, 'request'>;
export type ChannelLike = Pick<BroadcastChannel, 'postMessage' | 'close' | 'onmessage'>;
export type ChannelConstructor = new (name: string) => ChannelLike;

export interface KeeperHost {
  /** The lock's and the channel's name: one per API. */
  readonly name: string;
  readonly locks: LockManagerLike | undefined;
  readonly BroadcastChannel: ChannelConstructor | undefined;
  /** POST /api/auth/refresh; throws AuthError. */
  refresh(): Promise<Session>;
  /** GET /api/auth/verify once, without a refresh; throws AuthError. */
  verify(): Promise<Session>;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
  /** Whether to refresh ahead of expiresAt at first (see {@link SessionKeeper.setAutoRefresh}). */
  readonly autoRefresh: boolean;
}

export type RefreshOutcome = { session: Session; error?: undefined } | { session: null; error: AuthError };

interface SessionMessage {
  type: typeof MESSAGE_TYPE;
  session: Session | null;
  reason: SessionChangeReason;
}

const MESSAGE_TYPE = 'serverless-auth/session';
const MAX_TIMEOUT = 2 ** 31 - 1;

export class SessionKeeper {
  readonly #host: KeeperHost;
  readonly #channel: ChannelLike | undefined;
  readonly #listeners = new Set<SessionListener>();
  #session: Session | null = null;
  /** Counts the session states this page learnt (its own answers and other tabs' messages): a 401 to a request sent before the latest one needs no refresh of its own. */
  #epoch = 0;
  #inflight: Promise<RefreshOutcome> | null = null;
  #timer: unknown = undefined;
  #nextRefreshAt: Date | null = null;
  #closed = false;
  #autoRefresh: boolean;

  constructor(host: KeeperHost) {
    this.#host = host;
    this.#autoRefresh = host.autoRefresh;
    if (host.BroadcastChannel) {
      this.#channel = new host.BroadcastChannel(host.name);
      this.#channel.onmessage = (event: MessageEvent) => this.#receive(event.data);
    }
  }

  get session(): Session | null {
    return this.#session;
  }

  get epoch(): number {
    return this.#epoch;
  }

  get nextRefreshAt(): Date | null {
    return this.#nextRefreshAt;
  }

  onChange(listener: SessionListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * A state the API just answered in this page (a sign-in, verify, a refresh, a sign-out): kept, scheduled, told to
   * the listeners when it changed, and to the other tabs when it changed or was a refresh (a tab waiting for the
   * lock takes it as the outcome of the refresh it was about to make).
   */
  set(session: Session | null, hint?: 'refreshed'): void {
    this.#epoch++;
    const previous = this.#session;
    this.#session = session;
    this.#schedule();
    const changed = !sameSession(previous, session);
    if (!changed && hint !== 'refreshed') return;
    const reason = reasonFor(previous, session, hint);
    this.#post({ type: MESSAGE_TYPE, session, reason });
    if (changed) this.#emit(session, { reason, fromOtherTab: false });
  }

  /**
   * The one refresh: joins the one in flight in this page, else takes the browser-wide lock. A tab that had to wait
   * for it takes what the tab before it learnt (its message, or failing that verify's answer on the cookies they
   * share) instead of refreshing again. `since`: the epoch the caller's view dates from (a 401's request).
   */
  refresh(since: number = this.#epoch): Promise<RefreshOutcome> {
    this.#inflight ??= this.#coordinated(since).finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  /**
   * A 401 to a request sent at epoch `since`: when this page learnt a session state since (its own refresh, another
   * tab's), that state is the answer; else the one refresh.
   */
  afterUnauthorized(since: number): Promise<RefreshOutcome> {
    return this.#epoch === since ? this.refresh(since) : Promise.resolve(this.#current());
  }

  /** Turns the refresh ahead of expiresAt on (scheduled from the session known now) or off (a 401 still refreshes). */
  setAutoRefresh(on: boolean): void {
    this.#autoRefresh = on;
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#clearTimer();
    this.#listeners.clear();
    if (this.#channel) {
      this.#channel.onmessage = null;
      this.#channel.close();
    }
  }

  async #coordinated(since: number): Promise<RefreshOutcome> {
    const locks = this.#host.locks;
    if (!locks) return this.#refreshNow();
    let entered = false;
    try {
      const first = await locks.request(this.#host.name, { ifAvailable: true }, async (lock) => {
        entered = true;
        return lock ? await this.#refreshNow() : null;
      });
      if (first) return first;
      entered = false;
      return await locks.request(this.#host.name, {}, async () => {
        entered = true;
        return this.#epoch !== since ? this.#current() : await this.#afterWaiting();
      });
    } catch (error) {
      if (entered) throw error;
      // No lock to be had (an opaque origin, a sandboxed frame): this page's single flight only.
      return this.#refreshNow();
    }
  }

  /** Another tab held the lock and its message has not arrived (yet): the cookies are shared, so verify tells. */
  async #afterWaiting(): Promise<RefreshOutcome> {
    const known = this.#session?.expiresAt;
    try {
      const session = await this.#host.verify();
      if (session.expiresAt !== known) {
        this.set(session, 'refreshed');
        return { session };
      }
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      // 401: the access token is no better than before; anything else, the refresh will say too.
    }
    return this.#refreshNow();
  }

  async #refreshNow(): Promise<RefreshOutcome> {
    try {
      const session = await this.#host.refresh();
      this.set(session, 'refreshed');
      return { session };
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      if (error.status === 401) this.set(null);
      return { session: null, error };
    }
  }

  #current(): RefreshOutcome {
    return this.#session
      ? { session: this.#session }
      : { session: null, error: new AuthError({ status: 401, title: 'Not authenticated.', detail: 'The session ended (in another tab, or it expired).' }) };
  }

  #receive(data: unknown): void {
    if (this.#closed || !isMessage(data)) return;
    this.#epoch++;
    const previous = this.#session;
    this.#session = data.session;
    this.#schedule();
    if (!sameSession(previous, data.session)) {
      this.#emit(data.session, { reason: reasonFor(previous, data.session, data.reason === 'refreshed' ? 'refreshed' : undefined), fromOtherTab: true });
    }
  }

  /** Renews shortly before the access token expires: a minute early, or a quarter of a shorter lifetime early. */
  #schedule(): void {
    this.#clearTimer();
    const session = this.#session;
    if (!session || this.#closed || !this.#autoRefresh) return;
    const left = Date.parse(session.expiresAt) - this.#host.now();
    if (!(left > 0)) return; // expired, or a clock far off the server's: the next 401 refreshes instead
    const delay = Math.min(left - Math.min(60_000, left / 4), MAX_TIMEOUT);
    this.#nextRefreshAt = new Date(this.#host.now() + delay);
    this.#timer = this.#host.setTimeout(() => {
      this.#timer = undefined;
      this.#nextRefreshAt = null;
      void this.refresh();
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#host.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextRefreshAt = null;
  }

  #post(message: SessionMessage): void {
    try {
      this.#channel?.postMessage(message);
    } catch {
      // A closed channel: the other tabs learn it at their next answer from the API.
    }
  }

  #emit(session: Session | null, change: SessionChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(session, change);
      } catch (error) {
        report(error);
      }
    }
  }
}

function reasonFor(previous: Session | null, next: Session | null, hint: 'refreshed' | undefined): SessionChangeReason {
  if (next === null) return 'signed_out';
  if (previous === null || previous.userId !== next.userId) return 'signed_in';
  return hint ?? 'updated';
}

function sameSession(a: Session | null, b: Session | null): boolean {
  if (a === null || b === null) return a === b;
  return a.userId === b.userId && a.email === b.email && a.emailConfirmed === b.emailConfirmed
    && a.expiresAt === b.expiresAt && (a.amr ?? []).join() === (b.amr ?? []).join();
}

function isMessage(data: unknown): data is SessionMessage {
  if (typeof data !== 'object' || data === null) return false;
  const message = data as Partial<SessionMessage>;
  return message.type === MESSAGE_TYPE && (message.session === null || isSession(message.session));
}

export function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const session = value as Partial<Session>;
  return session.status === 'signed_in' && typeof session.userId === 'string' && typeof session.expiresAt === 'string';
}

/** A listener's exception goes to the page's error reporting, not into the client's flow. */
function report(error: unknown): void {
  const reportError = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof reportError === 'function') reportError(error);
  else console.error(error);
}
