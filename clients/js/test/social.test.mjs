// Social sign-in: the verifier (random, kept in sessionStorage), its S256 challenge in the start URL, and the
// exchange on return; linking a provider the same way.
import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import { test } from 'node:test';
import { AuthError, createAuthClient } from '../dist/index.js';
import { BASE, FakeClock, FakeStorage, fakeApi, json } from './support/fakes.mjs';

const VERIFIER_KEY = 'serverless-auth:oidc-verifier';
const PAGE = 'https://app.example.test/signin';
// RFC 7636 Appendix B: the 32 random octets, their base64url (the verifier), and base64url(SHA-256(verifier)).
const RFC_OCTETS = [116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121];
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** A tab on `href`: its sessionStorage, its history, and crypto (random unless `octets` are given). */
function page(href = PAGE, { octets, api = fakeApi() } = {}) {
  const clock = new FakeClock();
  const storage = new FakeStorage();
  const replaced = [];
  const location = new URL(href);
  const crypto = octets
    ? { subtle: webcrypto.subtle, getRandomValues: (array) => (array.set(octets), array) }
    : webcrypto;
  const client = createAuthClient({
    baseUrl: BASE, fetch: api.fetch, locks: null, BroadcastChannel: null, storage, crypto, credentials: null,
    location: { href: location.href, origin: location.origin, pathname: location.pathname },
    history: { state: { kept: true }, replaceState: (state, unused, url) => replaced.push({ state, url }) },
    setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now,
  });
  return { client, api, storage, replaced };
}

test('signInUrl keeps a random verifier in sessionStorage and sends its S256 challenge (RFC 7636 vector)', async () => {
  const { client, storage, api } = page(`${PAGE}?api=x#top`, { octets: RFC_OCTETS });

  const url = await client.social.signInUrl('google');

  assert.equal(storage.getItem(VERIFIER_KEY), RFC_VERIFIER);
  assert.equal(url, `${BASE}/api/auth/oidc/google/start?returnTo=${encodeURIComponent(PAGE)}&codeChallenge=${RFC_CHALLENGE}`);
  assert.equal(api.calls.length, 0, 'the start is a navigation, not a fetch');
});

test('each sign-in gets a fresh 43-character verifier, and the challenge is its SHA-256', async () => {
  const { client, storage } = page();

  const first = new URL(await client.social.signInUrl('test', { returnTo: 'https://app.example.test/back?x=1' }));
  const firstVerifier = storage.getItem(VERIFIER_KEY);
  const second = new URL(await client.social.signInUrl('test'));
  const secondVerifier = storage.getItem(VERIFIER_KEY);

  assert.match(firstVerifier, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(firstVerifier, secondVerifier);
  assert.equal(first.searchParams.get('returnTo'), 'https://app.example.test/back?x=1');
  assert.equal(second.searchParams.get('codeChallenge'), createHash('sha256').update(secondVerifier).digest('base64url'));
});

test('complete exchanges ?code= with the stored verifier, forgets it, cleans the address bar and signs in', async () => {
  const { client, storage, api, replaced } = page();
  await client.social.signInUrl('test');
  const verifier = storage.getItem(VERIFIER_KEY);
  const changes = [];
  client.onSessionChange((session, change) => changes.push(change.reason));

  const result = await client.social.complete({ remember: false });
  assert.equal(result, null, 'no ?code= or ?error= on this page: nothing to do');

  const back = page(`${PAGE}?code=one-time&tab=2#done`, { api });
  back.storage.setItem(VERIFIER_KEY, verifier);
  back.client.onSessionChange((session, change) => changes.push(change.reason));
  const session = await back.client.social.complete();

  assert.equal(session.status, 'signed_in');
  assert.deepEqual(back.client.session, session);
  assert.deepEqual(changes, ['signed_in']);
  const exchange = api.calls.at(-1);
  assert.equal(exchange.key, 'POST /api/auth/oidc/exchange');
  assert.equal(exchange.credentials, 'include');
  assert.deepEqual(exchange.body, { code: 'one-time', codeVerifier: verifier });
  assert.equal(back.storage.getItem(VERIFIER_KEY), null);
  assert.deepEqual(back.replaced, [{ state: { kept: true }, url: '/signin?tab=2#done' }]);
  assert.deepEqual(replaced, []);
});

test('complete passes remember and returns the second step when the account has one', async () => {
  const api = fakeApi();
  api.on('POST /api/auth/oidc/exchange', () => json(200, { status: 'mfa_required', expiresAt: '2030-01-01T00:05:00Z', methods: ['totp', 'recovery'] }));
  const { client, storage } = page(`${PAGE}?code=c1`, { api });
  storage.setItem(VERIFIER_KEY, 'v'.repeat(43));

  const result = await client.social.complete({ remember: false });

  assert.deepEqual(result, { status: 'mfa_required', expiresAt: '2030-01-01T00:05:00Z', methods: ['totp', 'recovery'] });
  assert.equal(client.session, null);
  assert.equal(api.calls.at(-1).body.remember, false);
});

test('complete with ?error= throws an AuthError with that code and forgets the verifier', async () => {
  const { client, storage, api, replaced } = page(`${PAGE}?error=access_denied`);
  storage.setItem(VERIFIER_KEY, 'v'.repeat(43));

  const error = await client.social.complete().then(() => null, (e) => e);

  assert.ok(error instanceof AuthError);
  assert.equal(error.status, 0);
  assert.equal(error.code, 'access_denied');
  assert.equal(storage.getItem(VERIFIER_KEY), null);
  assert.equal(api.calls.length, 0);
  assert.deepEqual(replaced.map((r) => r.url), ['/signin']);
});

test('complete in a tab that did not start the sign-in says verifier_missing and sends nothing', async () => {
  const { client, api } = page(`${PAGE}?code=one-time`);

  const error = await client.social.complete().then(() => null, (e) => e);

  assert.equal(error.code, 'verifier_missing');
  assert.equal(api.calls.length, 0);
});

test('complete reads a given URL and leaves the address bar alone', async () => {
  const { client, storage, api, replaced } = page();
  storage.setItem(VERIFIER_KEY, 'w'.repeat(43));

  await client.social.complete({ url: new URL(`${PAGE}?code=from-arg`) });

  assert.deepEqual(api.calls.at(-1).body, { code: 'from-arg', codeVerifier: 'w'.repeat(43) });
  assert.deepEqual(replaced, []);
});

test('link asks for a start URL with this tab\'s challenge; back, the session is checked, then the exchange confirms it', async () => {
  const api = fakeApi();
  const { client, storage } = page(PAGE, { api });
  await client.login({ email: 'ada@example.test', password: 'analytical engine notes 1843' });

  const url = await client.social.link('test', { password: 'analytical engine notes 1843' });

  assert.equal(url, `${BASE}/api/auth/oidc/test/start?link=ticket`);
  const link = api.calls.at(-1);
  assert.equal(link.url, `${BASE}/api/auth/oidc/test/link`);
  const verifier = storage.getItem(VERIFIER_KEY);
  assert.deepEqual(link.body, {
    returnTo: PAGE, codeChallenge: createHash('sha256').update(verifier).digest('base64url'), password: 'analytical engine notes 1843',
  });

  // Back from the provider, in the same tab (same sessionStorage), after the access token expired.
  api.on('POST /api/auth/oidc/exchange', () => json(200, { ...api.session(), status: 'linked' }));
  api.expireAccess();
  const back = page(`${PAGE}?code=link-code`, { api });
  for (const key of ['serverless-auth:oidc-verifier', 'serverless-auth:oidc-link']) back.storage.setItem(key, storage.getItem(key));
  const result = await back.client.social.complete();

  assert.equal(result.status, 'linked');
  assert.deepEqual(api.calls.slice(-4).map((call) => call.key), [
    'GET /api/auth/verify', 'POST /api/auth/refresh', 'GET /api/auth/verify', 'POST /api/auth/oidc/exchange',
  ]);
  assert.equal(back.storage.size, 0);
});

test('a refused link request forgets the verifier it made', async () => {
  const api = fakeApi();
  const { client, storage } = page(PAGE, { api });
  await client.login({ email: 'ada@example.test', password: 'analytical engine notes 1843' });
  api.on('POST /api/auth/oidc/{provider}/link', () => json(400, { title: 'One or more fields are invalid.', status: 400, errors: { password: ['The password is incorrect.'] } }));

  const error = await client.social.link('test', { password: 'wrong' }).then(() => null, (e) => e);

  assert.deepEqual(error.errors, { password: ['The password is incorrect.'] });
  assert.equal(storage.size, 0);
});

test('without crypto.subtle (an insecure context) the sign-in URL is refused as unsupported', async () => {
  const clock = new FakeClock();
  const client = createAuthClient({
    baseUrl: BASE, fetch: fakeApi().fetch, locks: null, BroadcastChannel: null, storage: new FakeStorage(),
    crypto: { getRandomValues: webcrypto.getRandomValues.bind(webcrypto), subtle: undefined },
    location: null, history: null, credentials: null, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now,
  });

  const error = await client.social.signInUrl('test', { returnTo: PAGE }).then(() => null, (e) => e);

  assert.equal(error.code, 'unsupported');
});
