// The session's renewal: one refresh for parallel 401s in a page and across tabs (Web Locks + BroadcastChannel),
// one retry per request, signed out when the refresh fails, the refresh scheduled shortly before expiresAt.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError, createAuthClient } from '../dist/index.js';
import { BASE, FakeClock, FakeLockManager, FakeStorage, START, channelHub, fakeApi, problem, settle } from './support/fakes.mjs';

const REFRESH = 'POST /api/auth/refresh';
const VERIFY = 'GET /api/auth/verify';
const credentials = { email: 'ada@example.test', password: 'analytical engine notes 1843' };

/** One tab's client: the fakes it is given, and none of the host's globals. */
function tab(api, clock, { locks = null, hub = null } = {}) {
  const client = createAuthClient({
    baseUrl: `${BASE}/`,
    fetch: api.fetch,
    locks,
    BroadcastChannel: hub?.BroadcastChannel ?? null,
    storage: new FakeStorage(),
    credentials: null,
    location: null,
    history: null,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    now: clock.now,
  });
  client.changes = [];
  client.onSessionChange((session, change) => client.changes.push({ session, ...change }));
  return client;
}

function setup({ tabs = 1, locks = true, hub = true, prompt = false } = {}) {
  const clock = new FakeClock();
  const api = fakeApi({ now: clock.now });
  const shared = { locks: locks ? new FakeLockManager() : null, hub: hub ? channelHub({ prompt }) : null };
  const clients = Array.from({ length: tabs }, () => tab(api, clock, shared));
  return { clock, api, clients, ...shared };
}

describe('one refresh in a page', () => {
  test('parallel 401s share one refresh, and each request is sent again once', async () => {
    const { api, clients: [client] } = setup();
    await client.login(credentials);
    api.expireAccess();
    const release = api.gate(REFRESH);

    const answers = Promise.all([client.verify(), client.sessions(), client.activity(), client.mfa.status(), client.verify()]);
    await settle();
    release();
    const [first, sessions, activity, mfa, second] = await answers;

    assert.equal(api.count(REFRESH), 1);
    assert.equal(api.count(VERIFY), 4);
    assert.equal(api.count('GET /api/auth/sessions'), 2);
    assert.equal(first.status, 'signed_in');
    assert.deepEqual(second, first);
    assert.equal(sessions[0].current, true);
    assert.deepEqual(activity, []);
    assert.equal(mfa.totp, false);
    assert.deepEqual(client.session, first);
  });

  test('a 401 that arrives after the shared refresh ended is sent again without another refresh', async () => {
    const { api, clients: [client] } = setup();
    await client.login(credentials);
    api.expireAccess();
    const releaseSessions = api.gate('GET /api/auth/sessions'); // answered 401 on arrival, delivered late

    const late = client.sessions();
    await client.verify(); // 401, the refresh, verify again
    assert.equal(api.count(REFRESH), 1);
    releaseSessions();
    const sessions = await late;

    assert.equal(api.count(REFRESH), 1);
    assert.equal(api.count('GET /api/auth/sessions'), 2);
    assert.equal(sessions.length, 1);
  });

  test('without Web Locks and BroadcastChannel the page still makes one refresh for its parallel 401s', async () => {
    const { api, clients: [client] } = setup({ locks: false, hub: false });
    await client.login(credentials);
    api.expireAccess();
    const release = api.gate(REFRESH);

    const answers = Promise.all([client.verify(), client.verify(), client.passkeys.list()]);
    await settle();
    release();
    await answers;

    assert.equal(api.count(REFRESH), 1);
    assert.equal(client.session.status, 'signed_in');
  });

  test('a request is sent again once only: a second 401 is the caller\'s', async () => {
    const { api, clients: [client] } = setup();
    await client.login(credentials);
    api.on('GET /api/auth/identities', () => problem(401, 'Not authenticated.', 'No valid session: log in again.'));

    const error = await client.social.identities().then(() => null, (e) => e);

    assert.ok(error instanceof AuthError);
    assert.equal(error.status, 401);
    assert.equal(api.count('GET /api/auth/identities'), 2);
    assert.equal(api.count(REFRESH), 1);
    assert.equal(client.session.status, 'signed_in'); // the refresh worked: still signed in
  });

  test('every request is credentialed; only a request with a body is JSON (a GET needs no preflight)', async () => {
    const { api, clients: [client] } = setup();
    await client.login(credentials);
    await client.verify();
    await client.logout();

    assert.ok(api.calls.length >= 3);
    for (const call of api.calls) assert.equal(call.credentials, 'include', call.key);
    const [login, verify, logout] = api.calls;
    assert.equal(login.headers['Content-Type'], 'application/json');
    assert.deepEqual(login.body, credentials);
    assert.deepEqual(verify.headers, {});
    assert.equal(logout.body, undefined);
    assert.equal(login.url, `${BASE}/api/auth/login`);
  });
});

describe('one refresh across tabs', () => {
  test('two tabs with parallel 401s share one refresh: the waiting tab takes the outcome from the channel', async () => {
    const { api, clock, clients: [a, b] } = setup({ tabs: 2, prompt: true });
    await a.login(credentials);
    await settle();
    assert.deepEqual(b.session, a.session, 'b learnt the sign-in from the channel');
    clock.advance(5 * 60_000);
    api.expireAccess();
    const release = api.gate(REFRESH);

    const answers = Promise.all([a.verify(), b.verify()]);
    await settle();
    release();
    const [fromA, fromB] = await answers;

    assert.equal(api.count(REFRESH), 1);
    assert.equal(api.count(VERIFY), 4, 'each tab: the 401, then the retry; no verify in place of a refresh');
    assert.equal(fromA.expiresAt, fromB.expiresAt);
    assert.deepEqual(b.changes.at(-1), { session: fromA, reason: 'refreshed', fromOtherTab: true });
    assert.deepEqual(a.changes.at(-1), { session: fromA, reason: 'refreshed', fromOtherTab: false });
  });

  test('when the message comes after the lock, the waiting tab asks verify on the shared cookies instead of refreshing', async () => {
    const { api, clock, hub, clients: [a, b] } = setup({ tabs: 2 });
    await a.login(credentials);
    await settle();
    clock.advance(5 * 60_000);
    api.expireAccess();
    const deliver = hub.hold();
    const release = api.gate(REFRESH);

    const answers = Promise.all([a.verify(), b.verify()]);
    await settle();
    release();
    const [fromA, fromB] = await answers;
    deliver();
    await settle();

    assert.equal(api.count(REFRESH), 1);
    assert.equal(api.count(VERIFY), 5, 'the 401s, the retries, and b\'s verify after the lock');
    assert.equal(fromB.expiresAt, fromA.expiresAt);
    assert.equal(b.session.expiresAt, fromA.expiresAt);
  });

  test('three tabs whose scheduled refreshes fall due together make one refresh', async () => {
    const { api, clock, clients } = setup({ tabs: 3, prompt: true });
    await clients[0].login(credentials);
    await settle();
    assert.ok(clients.every((client) => client.nextRefreshAt?.getTime() === START + 9 * 60_000));

    clock.advance(9 * 60_000);
    await settle(10);

    assert.equal(api.count(REFRESH), 1);
    const expiresAt = clients[0].session.expiresAt;
    assert.equal(Date.parse(expiresAt), START + 19 * 60_000);
    for (const client of clients) assert.equal(client.session.expiresAt, expiresAt);
  });

  test('a tab that learns a refresh from another tab moves its own schedule and does not refresh on the old one', async () => {
    const { api, clock, clients: [a, b] } = setup({ tabs: 2 });
    await a.login(credentials);
    await settle();
    clock.advance(60_000);
    await a.refresh();
    await settle();

    assert.equal(b.nextRefreshAt.getTime(), START + 60_000 + 9 * 60_000);
    clock.advance(8 * 60_000 + 59_999); // just before the new schedule, past the old one
    await settle();
    assert.equal(api.count(REFRESH), 1);
  });

  test('sign-ins and sign-outs reach the other tabs', async () => {
    const { clients: [a, b] } = setup({ tabs: 2 });
    await a.login(credentials);
    await settle();
    assert.deepEqual(b.changes.map((c) => [c.reason, c.fromOtherTab]), [['signed_in', true]]);

    await a.logout();
    await settle();
    assert.equal(b.session, null);
    assert.deepEqual(b.changes.map((c) => [c.reason, c.fromOtherTab]), [['signed_in', true], ['signed_out', true]]);
  });
});

describe('signed out when the refresh fails', () => {
  test('a failed refresh signs out: onSessionChange fires with null here and in the other tab, and no refresh stays scheduled', async () => {
    const { api, clock, clients: [a, b] } = setup({ tabs: 2 });
    const session = await a.login(credentials);
    await settle();
    api.state.refresh = false; // logged out everywhere meanwhile
    api.expireAccess();

    const error = await a.verify().then(() => null, (e) => e);
    await settle();

    assert.ok(error instanceof AuthError);
    assert.equal(error.status, 401);
    assert.equal(api.count(REFRESH), 1);
    assert.equal(a.session, null);
    assert.deepEqual(a.changes, [
      { session, reason: 'signed_in', fromOtherTab: false },
      { session: null, reason: 'signed_out', fromOtherTab: false },
    ]);
    assert.equal(b.session, null);
    assert.deepEqual(b.changes.at(-1), { session: null, reason: 'signed_out', fromOtherTab: true });
    assert.deepEqual(clock.pending, []);
    assert.equal(a.nextRefreshAt, null);
  });

  test('refresh() itself rejects with the 401 and signs out', async () => {
    const { api, clients: [client] } = setup();
    await client.login(credentials);
    api.state.refresh = false;

    await assert.rejects(client.refresh(), (error) => error instanceof AuthError && error.status === 401);
    assert.equal(client.session, null);
    assert.equal(client.changes.at(-1).reason, 'signed_out');
  });

  test('a refresh that fails otherwise (503) keeps the session and gives its error, with retryAfter', async () => {
    const { api, clients: [client] } = setup();
    const session = await client.login(credentials);
    api.expireAccess();
    api.on(REFRESH, () => problem(503, 'The service is temporarily unavailable.', 'Storage is unavailable.', { retryAfter: 5 }, { 'Retry-After': '5' }));

    const error = await client.verify().then(() => null, (e) => e);

    assert.ok(error instanceof AuthError);
    assert.equal(error.status, 503);
    assert.equal(error.retryAfter, 5);
    assert.deepEqual(client.session, session);
    assert.equal(client.changes.length, 1);
  });

  test('a page that never signed in: verify refreshes once, restore() answers null, and nothing fires', async () => {
    const { api, clients: [client] } = setup();

    assert.equal(await client.restore(), null);
    assert.equal(api.count(REFRESH), 1);
    assert.deepEqual(client.changes, []);
  });

  test('onSessionChange returns its unsubscribe; a throwing listener does not stop the others', async () => {
    const { clients: [client] } = setup();
    const seen = [];
    const reported = [];
    const originalError = console.error;
    console.error = (error) => reported.push(error);
    try {
      client.onSessionChange(() => {
        throw new Error('listener bug');
      });
      const unsubscribe = client.onSessionChange((session, change) => seen.push(change.reason));
      await client.login(credentials);
      unsubscribe();
      await client.logout();
    } finally {
      console.error = originalError;
    }

    assert.deepEqual(seen, ['signed_in']);
    assert.deepEqual(client.changes.map((c) => c.reason), ['signed_in', 'signed_out']);
    assert.equal(reported.length, 2);
  });
});

describe('fetch for the app\'s own endpoints', () => {
  test('is credentialed, resolves a path on baseUrl, and a 401 shares the one refresh with the client\'s own calls', async () => {
    const { api, clients: [client] } = setup();
    await client.login(credentials);
    api.expireAccess();
    const release = api.gate(REFRESH);

    const pending = [client.fetch('/api/me/notes'), client.verify(), client.fetch(`${BASE}/api/me/notes`, { headers: { Accept: 'application/json' } })];
    await settle();
    assert.equal(api.count(REFRESH), 1);
    release();
    const [first, , third] = await Promise.all(pending);

    assert.equal(api.count(REFRESH), 1);
    assert.equal(first.status, 200);
    assert.deepEqual(await third.json(), [{ text: 'hello' }]);
    const notes = api.calls.filter((call) => call.key === 'GET /api/me/notes');
    assert.equal(notes.length, 4); // each sent twice: the 401, then once more
    assert.ok(notes.every((call) => call.credentials === 'include' && call.url === `${BASE}/api/me/notes`));
    assert.equal(notes[3].headers.Accept, 'application/json');
  });

  test('answers the 401 itself when the refresh fails, and signs out', async () => {
    const { api, clients: [client] } = setup();
    await client.login(credentials);
    api.expireAccess();
    api.state.refresh = false;

    const response = await client.fetch('/api/me/notes');

    assert.equal(response.status, 401);
    assert.equal(client.session, null);
    assert.equal(api.calls.filter((call) => call.key === 'GET /api/me/notes').length, 1);
  });
});

describe('the scheduled refresh', () => {
  test('runs a minute before expiresAt, then again before the new one', async () => {
    const { api, clock, clients: [client] } = setup();
    const session = await client.login(credentials);
    assert.equal(Date.parse(session.expiresAt), START + 10 * 60_000);
    assert.equal(client.nextRefreshAt.getTime(), START + 9 * 60_000);

    clock.advance(9 * 60_000 - 1);
    await settle();
    assert.equal(api.count(REFRESH), 0);
    clock.advance(1);
    await settle();
    assert.equal(api.count(REFRESH), 1);
    assert.equal(Date.parse(client.session.expiresAt), START + 19 * 60_000);
    assert.equal(client.nextRefreshAt.getTime(), START + 18 * 60_000);
    assert.deepEqual(client.changes.map((c) => c.reason), ['signed_in', 'refreshed']);
  });

  test('a short lifetime is renewed a quarter of it early', async () => {
    const clock = new FakeClock();
    const api = fakeApi({ now: clock.now, lifetimeMs: 2 * 60_000 });
    const client = tab(api, clock);
    await client.login(credentials);

    assert.equal(client.nextRefreshAt.getTime(), START + 90_000);
    clock.advance(90_000);
    await settle();
    assert.equal(api.count(REFRESH), 1);
  });

  test('a scheduled refresh that answers 401 signs out', async () => {
    const { api, clock, clients: [client] } = setup();
    await client.login(credentials);
    api.state.refresh = false;

    clock.advance(9 * 60_000);
    await settle();

    assert.equal(client.session, null);
    assert.deepEqual(client.changes.map((c) => c.reason), ['signed_in', 'signed_out']);
  });

  test('an expiresAt already past schedules nothing (the next 401 refreshes); close() stops the schedule', async () => {
    const { api, clock, clients: [client] } = setup();
    api.on('POST /api/auth/login', () => new Response(JSON.stringify({ ...api.session(), expiresAt: new Date(START - 1000).toISOString() }), { status: 200 }));
    await client.login(credentials);
    assert.equal(client.nextRefreshAt, null);
    assert.deepEqual(clock.pending, []);

    api.on('POST /api/auth/login', () => {
      api.state.expiresAt = new Date(START + 600_000).toISOString();
      return new Response(JSON.stringify(api.session()), { status: 200 });
    });
    await client.login(credentials);
    assert.equal(clock.pending.length, 1);
    client.close();
    assert.deepEqual(clock.pending, []);
  });

  test('stopAutoRefresh() leaves renewal to the next 401, startAutoRefresh() schedules again from the session known', async () => {
    const { api, clock, clients: [client] } = setup();
    await client.login(credentials);
    client.stopAutoRefresh();
    assert.equal(client.nextRefreshAt, null);
    assert.deepEqual(clock.pending, []);

    clock.advance(10 * 60_000);
    await settle();
    assert.equal(api.count(REFRESH), 0);
    api.expireAccess();
    await client.verify(); // the 401 still refreshes, once, and the answer schedules nothing
    assert.equal(api.count(REFRESH), 1);
    assert.equal(client.nextRefreshAt, null);

    client.startAutoRefresh();
    assert.equal(client.nextRefreshAt.getTime(), Date.parse(client.session.expiresAt) - 60_000);
    clock.advance(9 * 60_000);
    await settle();
    assert.equal(api.count(REFRESH), 2);
  });

  test('autoRefresh: false schedules nothing from the start', async () => {
    const clock = new FakeClock();
    const api = fakeApi({ now: clock.now });
    const client = createAuthClient({
      baseUrl: BASE, fetch: api.fetch, locks: null, BroadcastChannel: null, storage: null, credentials: null, location: null,
      history: null, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now, autoRefresh: false,
    });
    await client.login(credentials);
    assert.equal(client.nextRefreshAt, null);
    assert.deepEqual(clock.pending, []);
  });
});
