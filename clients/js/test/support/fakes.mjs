// Fakes of what the browser gives the client: an API behind fetch (one cookie jar, like the tabs of one browser),
// Web Locks, BroadcastChannel, sessionStorage and timers.

export const BASE = 'https://api.example.test';
export const START = Date.parse('2030-01-01T00:00:00Z');

/**
 * A fake of the auth API behind fetch. `state` is the browser's cookie jar as the server sees it: whether the access
 * and refresh cookies work. Every route answers something plausible; `on(key, handler)` replaces one, `gate(key)` holds
 * its answers until released. `calls` records every request.
 */
export function fakeApi({ now = () => START, lifetimeMs = 10 * 60_000 } = {}) {
  const state = { access: false, refresh: false, expiresAt: null, userId: 'u1', email: 'ada@example.test', refreshes: 0 };
  const calls = [];
  const gates = new Map();
  const session = () => ({ status: 'signed_in', expiresAt: state.expiresAt, userId: state.userId, email: state.email, emailConfirmed: true, amr: ['pwd'] });
  const signIn = () => {
    state.access = true;
    state.refresh = true;
    state.expiresAt = new Date(now() + lifetimeMs).toISOString();
    return json(200, session());
  };
  const needsSession = (answer) => () => (state.access ? answer() : problem(401, 'Not authenticated.', 'No valid session: log in again.'));
  const routes = new Map(Object.entries({
    'POST /api/auth/signup': () => {
      signIn();
      return json(201, { userId: state.userId, email: state.email, emailConfirmed: false });
    },
    'POST /api/auth/login': signIn,
    'GET /api/auth/verify': needsSession(() => json(200, session())),
    'POST /api/auth/logout': () => {
      Object.assign(state, { access: false, refresh: false });
      return empty(204);
    },
    'POST /api/auth/refresh': () => {
      state.refreshes++;
      if (!state.refresh) {
        state.access = false;
        return problem(401, 'Not authenticated.', 'No valid session: log in again.');
      }
      return signIn();
    },
    'POST /api/auth/logout-all': needsSession(() => {
      Object.assign(state, { access: false, refresh: false });
      return empty(204);
    }),
    'GET /api/auth/sessions': needsSession(() => json(200, [
      { sessionId: 's1', createdAt: iso(now()), lastUsedAt: iso(now()), expiresAt: iso(now() + 86_400_000), userAgent: 'test', current: true },
    ])),
    'POST /api/auth/sessions/revoke': needsSession(() => empty(204)),
    'POST /api/auth/password': needsSession(signIn),
    'POST /api/auth/account/delete': needsSession(() => {
      Object.assign(state, { access: false, refresh: false });
      return empty(204);
    }),
    'POST /api/auth/email/confirm': () => json(200, { userId: state.userId, email: state.email, emailConfirmed: true }),
    'POST /api/auth/email/resend': () => json(202, { status: 'accepted' }),
    'POST /api/auth/email/change': needsSession(() => json(202, { status: 'accepted' })),
    'POST /api/auth/email/change/confirm': () => json(200, { userId: state.userId, email: 'new@example.test', emailConfirmed: true }),
    'POST /api/auth/password/forgot': () => json(202, { status: 'accepted' }),
    'POST /api/auth/password/reset': () => {
      Object.assign(state, { access: false, refresh: false });
      return empty(204);
    },
    'POST /api/auth/mfa/verify': signIn,
    'GET /api/auth/mfa': needsSession(() => json(200, { totp: false, recoveryCodesLeft: 0, passkeys: 0 })),
    'POST /api/auth/mfa/totp/setup': needsSession(() => json(200, { secret: 'JBSWY3DPEHPK3PXP', otpauthUri: 'otpauth://totp/x', qrSvg: '<svg/>' })),
    'POST /api/auth/mfa/totp/enable': needsSession(() => json(200, { recoveryCodes: ['aaaaa-bbbbb'] })),
    'POST /api/auth/mfa/totp/disable': needsSession(() => empty(204)),
    'POST /api/auth/mfa/recovery-codes': needsSession(() => json(200, { recoveryCodes: ['ccccc-ddddd'] })),
    'POST /api/auth/mfa/passkey/options': () => json(200, { publicKey: requestOptionsJson() }),
    'POST /api/auth/passkeys/register/options': needsSession(() => json(200, { publicKey: creationOptionsJson() })),
    'POST /api/auth/passkeys/register': needsSession(() => json(200, passkeyInfo())),
    'POST /api/auth/passkeys/login/options': () => json(200, { publicKey: requestOptionsJson() }),
    'POST /api/auth/passkeys/login': signIn,
    'GET /api/auth/passkeys': needsSession(() => json(200, { passkeys: [passkeyInfo()] })),
    'POST /api/auth/passkeys/rename': needsSession(() => json(200, { ...passkeyInfo(), name: 'Renamed' })),
    'POST /api/auth/passkeys/delete': needsSession(() => empty(204)),
    'GET /api/auth/oidc/providers': () => json(200, [{ name: 'test', displayName: 'Test ID' }]),
    'POST /api/auth/oidc/exchange': signIn,
    'POST /api/auth/oidc/{provider}/link': needsSession(() => json(200, { url: `${BASE}/api/auth/oidc/test/start?link=ticket` })),
    'GET /api/auth/identities': needsSession(() => json(200, [])),
    'POST /api/auth/identities/unlink': needsSession(() => empty(204)),
    'GET /api/auth/activity': needsSession(() => json(200, [])),
    // The app's own endpoint behind the same session (the sample's notes).
    'GET /api/me/notes': needsSession(() => json(200, [{ text: 'hello' }])),
  }));

  async function fetch(input, init = {}) {
    const url = new URL(String(input));
    const method = init.method ?? 'GET';
    const path = url.pathname.replace(/^\/api\/auth\/oidc\/(?!exchange|providers)[^/]+\/link$/, '/api/auth/oidc/{provider}/link');
    const key = `${method} ${path}`;
    const call = { key, url: url.href, method, credentials: init.credentials, headers: { ...init.headers }, body: init.body === undefined ? undefined : JSON.parse(init.body) };
    calls.push(call);
    const handler = routes.get(key);
    if (!handler) return problem(404, 'Not found.', `No fake for ${key}.`);
    // Handled on arrival (the cookie jar changes then); a gate only holds the answer on its way back.
    const response = handler(call);
    const gate = gates.get(key);
    if (gate) await gate.promise;
    return response;
  }

  return {
    fetch,
    state,
    calls,
    count: (key) => calls.filter((call) => call.key === key).length,
    on: (key, handler) => routes.set(key, handler),
    /** Holds every answer of `key` (handled on arrival) until the returned release() is called. */
    gate(key) {
      let release;
      const promise = new Promise((resolve) => {
        release = resolve;
      });
      gates.set(key, { promise });
      return () => {
        gates.delete(key);
        release();
      };
    },
    session,
    /** The access cookie expired (the refresh cookie still works). */
    expireAccess() {
      state.access = false;
    },
  };
}

export function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

export function problem(status, title, detail, extensions = {}, headers = {}) {
  return new Response(JSON.stringify({ type: `https://tools.ietf.org/html/rfc9110#section-15`, title, status, detail, ...extensions }), {
    status, headers: { 'Content-Type': 'application/problem+json', ...headers },
  });
}

export function empty(status) {
  return new Response(null, { status });
}

const iso = (ms) => new Date(ms).toISOString();

export function creationOptionsJson() {
  return {
    rp: { id: 'example.test', name: 'Example' },
    user: { id: 'dTE', name: 'ada@example.test', displayName: 'ada@example.test' },
    challenge: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -8 }, { type: 'public-key', alg: -257 }],
    timeout: 300000,
    excludeCredentials: [{ id: '_-8', type: 'public-key', transports: ['internal'] }],
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    attestation: 'none',
    extensions: { credProps: true },
  };
}

export function requestOptionsJson() {
  return {
    challenge: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
    timeout: '300000',
    rpId: 'example.test',
    allowCredentials: [{ id: 'AQID', type: 'public-key', transports: null }],
    userVerification: 'required',
  };
}

function passkeyInfo() {
  return { id: 'AQID', name: 'Passkey', createdAt: iso(START), lastUsedAt: null, backupEligible: true, backedUp: true, transports: ['internal'] };
}

/** Web Locks: exclusive, granted in request order, `ifAvailable` answered with null while held. Shared by the "tabs". */
export class FakeLockManager {
  #held = new Set();
  #queues = new Map();
  requests = 0;

  request(name, options, callback) {
    if (typeof options === 'function') [options, callback] = [{}, options];
    this.requests++;
    if (this.#held.has(name) && options.ifAvailable) return Promise.resolve().then(() => callback(null));
    return new Promise((resolve, reject) => {
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      queue.push({ callback, resolve, reject });
      this.#grant(name);
    });
  }

  #grant(name) {
    if (this.#held.has(name)) return;
    const next = this.#queues.get(name)?.shift();
    if (!next) return;
    this.#held.add(name);
    Promise.resolve()
      .then(() => next.callback({ name, mode: 'exclusive' }))
      .then(next.resolve, next.reject)
      .finally(() => {
        this.#held.delete(name);
        this.#grant(name);
      });
  }
}

/**
 * BroadcastChannel among the clients of one test: a message reaches every other channel of the name (not the
 * sender), as a structured clone, a task later (`prompt`: a microtask later, before a lock the sender releases next
 * is granted). `hold()` keeps messages back until the returned function is called.
 */
export function channelHub({ prompt = false } = {}) {
  const channels = new Set();
  let held = null;
  const sent = [];
  class FakeBroadcastChannel {
    onmessage = null;
    #closed = false;

    constructor(name) {
      this.name = name;
      channels.add(this);
    }

    postMessage(data) {
      if (this.#closed) throw new Error('InvalidStateError: closed');
      sent.push(structuredClone(data));
      const deliver = () => {
        for (const channel of channels) {
          if (channel !== this && channel.name === this.name && channel.onmessage) channel.onmessage({ data: structuredClone(data) });
        }
      };
      if (held) held.push(deliver);
      else if (prompt) queueMicrotask(deliver);
      else setImmediate(deliver);
    }

    close() {
      this.#closed = true;
      channels.delete(this);
    }
  }
  return {
    BroadcastChannel: FakeBroadcastChannel,
    sent,
    hold() {
      held = [];
      return () => {
        const pending = held;
        held = null;
        for (const deliver of pending) deliver();
      };
    },
  };
}

export class FakeStorage {
  #items = new Map();
  getItem(key) {
    return this.#items.has(key) ? this.#items.get(key) : null;
  }
  setItem(key, value) {
    this.#items.set(key, String(value));
  }
  removeItem(key) {
    this.#items.delete(key);
  }
  get size() {
    return this.#items.size;
  }
}

/** setTimeout/clearTimeout/now on a clock that moves only with advance(). */
export class FakeClock {
  #now;
  #timers = new Map();
  #id = 0;

  constructor(start = START) {
    this.#now = start;
  }

  now = () => this.#now;

  setTimeout = (callback, ms) => {
    const id = ++this.#id;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return id;
  };

  clearTimeout = (id) => {
    this.#timers.delete(id);
  };

  /** Moves the clock, running the timers that fall due on the way, in order. */
  advance(ms) {
    const end = this.#now + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].callback();
    }
    this.#now = end;
  }

  get pending() {
    return [...this.#timers.values()].map((timer) => timer.at);
  }
}

/** Lets every queued promise job and immediate run (the fakes answer within a few turns). */
export async function settle(turns = 5) {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
