// Passkeys: the API's WebAuthn JSON options become the ArrayBuffers navigator.credentials takes, and the credential it
// gives goes back as PublicKeyCredential.toJSON() makes it (base64url), for adding one, signing in and the second step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError, createAuthClient } from '../dist/index.js';
import { BASE, FakeClock, FakeStorage, fakeApi, json } from './support/fakes.mjs';

const bytes = (...values) => new Uint8Array(values).buffer;
const text = (value) => new TextEncoder().encode(value).buffer;
const list = (buffer) => [...new Uint8Array(buffer)];
const CHALLENGE = Array.from({ length: 32 }, (_, i) => i); // AAECAw...Hh8

/** navigator.credentials: records what it was given, answers with a registration or an assertion, or throws `refuse`. */
function fakeCredentials({ refuse } = {}) {
  const seen = [];
  const credential = (response, extra = {}) => ({
    id: 'AQID', rawId: bytes(1, 2, 3), type: 'public-key', authenticatorAttachment: 'platform', response,
    getClientExtensionResults: () => ({ credProps: { rk: true }, prf: { results: { first: bytes(9) } } }), ...extra,
  });
  return {
    seen,
    async create(options) {
      seen.push({ kind: 'create', options });
      if (refuse) throw refuse;
      return credential({ clientDataJSON: text('{"type":"webauthn.create"}'), attestationObject: bytes(0xa3, 0x01), getTransports: () => ['internal', 'hybrid'] });
    },
    async get(options) {
      seen.push({ kind: 'get', options });
      if (refuse) throw refuse;
      return credential({ clientDataJSON: text('{"type":"webauthn.get"}'), authenticatorData: bytes(5, 6), signature: bytes(7, 8), userHandle: text('u1') });
    },
  };
}

function setup(options) {
  const clock = new FakeClock();
  const api = fakeApi({ now: clock.now });
  const credentials = fakeCredentials(options);
  const client = createAuthClient({
    baseUrl: BASE, fetch: api.fetch, credentials, locks: null, BroadcastChannel: null, storage: new FakeStorage(),
    location: null, history: null, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now,
  });
  return { api, client, credentials };
}

test('register: the options as ArrayBuffers to create(), the credential back as JSON with the re-authentication and name', async () => {
  const { api, client, credentials } = setup();
  await client.login({ email: 'ada@example.test', password: 'analytical engine notes 1843' });
  const signal = new AbortController().signal;

  const info = await client.passkeys.register({ password: 'analytical engine notes 1843', code: '123456', name: 'Laptop', signal });

  assert.equal(info.id, 'AQID');
  const [options, register] = api.calls.slice(-2);
  assert.equal(options.key, 'POST /api/auth/passkeys/register/options');
  assert.deepEqual(options.body, { password: 'analytical engine notes 1843', code: '123456' });
  const { publicKey, signal: given } = credentials.seen[0].options;
  assert.equal(given, signal);
  assert.deepEqual(list(publicKey.challenge), CHALLENGE);
  assert.deepEqual(list(publicKey.user.id), [...Buffer.from('u1')]);
  assert.equal(publicKey.user.name, 'ada@example.test');
  assert.deepEqual(publicKey.rp, { id: 'example.test', name: 'Example' });
  assert.deepEqual(publicKey.pubKeyCredParams, [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -8 }, { type: 'public-key', alg: -257 }]);
  assert.equal(publicKey.timeout, 300000);
  assert.deepEqual(publicKey.excludeCredentials.map((c) => [list(c.id), c.type, c.transports]), [[[0xff, 0xef], 'public-key', ['internal']]]);
  assert.deepEqual(publicKey.authenticatorSelection, { residentKey: 'required', requireResidentKey: true, userVerification: 'required' });
  assert.equal(publicKey.attestation, 'none');
  assert.deepEqual(publicKey.extensions, { credProps: true });

  assert.equal(register.key, 'POST /api/auth/passkeys/register');
  assert.deepEqual(register.body, {
    name: 'Laptop',
    credential: {
      id: 'AQID', rawId: 'AQID', type: 'public-key', authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true } },
      response: {
        clientDataJSON: Buffer.from('{"type":"webauthn.create"}').toString('base64url'),
        attestationObject: 'owE', transports: ['internal', 'hybrid'],
      },
    },
  });
});

test('signIn: the request options to get(), the assertion back as JSON, and the session starts', async () => {
  const { api, client, credentials } = setup();
  const changes = [];
  client.onSessionChange((session, change) => changes.push(change.reason));

  const session = await client.passkeys.signIn({ remember: false, mediation: 'conditional' });

  assert.equal(session.status, 'signed_in');
  assert.deepEqual(changes, ['signed_in']);
  const { publicKey, mediation } = credentials.seen[0].options;
  assert.equal(mediation, 'conditional');
  assert.deepEqual(list(publicKey.challenge), CHALLENGE);
  assert.equal(publicKey.timeout, 300000, 'a timeout the spec allows as a string becomes a number');
  assert.equal(publicKey.rpId, 'example.test');
  assert.deepEqual(publicKey.allowCredentials.map((c) => [list(c.id), 'transports' in c]), [[[1, 2, 3], false]]);
  assert.deepEqual(api.calls.map((call) => call.key), ['POST /api/auth/passkeys/login/options', 'POST /api/auth/passkeys/login']);
  assert.deepEqual(api.calls[1].body, {
    remember: false,
    credential: {
      id: 'AQID', rawId: 'AQID', type: 'public-key', authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true } },
      response: {
        clientDataJSON: Buffer.from('{"type":"webauthn.get"}').toString('base64url'),
        authenticatorData: 'BQY', signature: 'Bwg', userHandle: 'dTE',
      },
    },
  });
});

test('the second step with a passkey: its options, get(), then mfa/verify with the credential', async () => {
  const { api, client } = setup();
  api.on('POST /api/auth/login', () => json(200, { status: 'mfa_required', expiresAt: '2030-01-01T00:05:00Z', methods: ['totp', 'passkey', 'recovery'] }));

  const step = await client.login({ email: 'ada@example.test', password: 'analytical engine notes 1843' });
  assert.equal(step.status, 'mfa_required');
  assert.deepEqual(step.methods, ['totp', 'passkey', 'recovery']);
  assert.equal(client.session, null);
  const session = await client.mfa.verifyWithPasskey();

  assert.equal(session.status, 'signed_in');
  assert.deepEqual(api.calls.slice(1).map((call) => call.key), ['POST /api/auth/mfa/passkey/options', 'POST /api/auth/mfa/verify']);
  assert.deepEqual(Object.keys(api.calls[2].body), ['credential']);
  assert.equal(api.calls[2].body.credential.response.signature, 'Bwg');
});

test('a cancelled passkey dialog is an AuthError authenticator_error with the browser\'s exception as cause', async () => {
  const refuse = new DOMException('The operation either timed out or was not allowed.', 'NotAllowedError');
  const { api, client } = setup({ refuse });

  const error = await client.passkeys.signIn().then(() => null, (e) => e);

  assert.ok(error instanceof AuthError);
  assert.equal(error.status, 0);
  assert.equal(error.code, 'authenticator_error');
  assert.equal(error.cause, refuse);
  assert.match(error.detail, /cancelled or timed out/);
  assert.deepEqual(api.calls.map((call) => call.key), ['POST /api/auth/passkeys/login/options']);
});

test('without navigator.credentials passkeys are unsupported', async () => {
  const clock = new FakeClock();
  const client = createAuthClient({
    baseUrl: BASE, fetch: fakeApi().fetch, credentials: null, locks: null, BroadcastChannel: null, storage: null,
    location: null, history: null, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now,
  });

  const error = await client.passkeys.signIn().then(() => null, (e) => e);

  assert.equal(error.code, 'unsupported');
});
