// A method for every end-user route of functions/openapi.json (tag Auth; the admin API is not the browser's), each
// sending only the fields its request schema has.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createAuthClient } from '../dist/index.js';
import { BASE, FakeClock, FakeStorage, fakeApi } from './support/fakes.mjs';

const spec = JSON.parse(readFileSync(new URL('../../../functions/openapi.json', import.meta.url), 'utf8'));
// Not the browser client's: the callback is the provider's redirect target; the discovery documents are for APIs that check tokens.
const NOT_CALLED = new Set(['GET /api/auth/oidc/{provider}/callback', 'GET /api/auth/.well-known/jwks.json', 'GET /api/auth/.well-known/openid-configuration']);

function endUserRoutes() {
  const routes = new Map();
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const key = `${method.toUpperCase()} ${path}`;
      if (operation.tags?.includes('Auth') && !NOT_CALLED.has(key)) routes.set(key, operation);
    }
  }
  return routes;
}

const credentials = {
  async create() {
    return { id: 'AQID', rawId: new Uint8Array([1, 2, 3]).buffer, type: 'public-key', response: { clientDataJSON: new ArrayBuffer(1), attestationObject: new ArrayBuffer(1) } };
  },
  async get() {
    return { id: 'AQID', rawId: new Uint8Array([1, 2, 3]).buffer, type: 'public-key', response: { clientDataJSON: new ArrayBuffer(1), authenticatorData: new ArrayBuffer(1), signature: new ArrayBuffer(1), userHandle: null } };
  },
};

test('every end-user route of the OpenAPI document has a method, and no admin route is called', async () => {
  const clock = new FakeClock();
  const api = fakeApi({ now: clock.now });
  const storage = new FakeStorage();
  const client = createAuthClient({
    baseUrl: BASE, fetch: api.fetch, credentials, storage, locks: null, BroadcastChannel: null,
    location: { href: 'https://app.example.test/', origin: 'https://app.example.test', pathname: '/' },
    history: { state: null, replaceState() {} },
    setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now,
  });
  const password = 'analytical engine notes 1843';
  const reached = new Set();

  await client.signup({ email: 'ada@example.test', password });
  await client.login({ email: 'ada@example.test', password, remember: false });
  await client.verify();
  await client.refresh();
  await client.sessions();
  await client.revokeSession('another');
  await client.changePassword({ currentPassword: password, newPassword: `${password}!`, code: '123456' });
  await client.activity();
  await client.email.confirm('token');
  await client.email.resend('ada@example.test');
  await client.email.change({ newEmail: 'new@example.test', password });
  await client.email.confirmChange('token');
  await client.password.forgot('ada@example.test');
  await client.mfa.status();
  await client.mfa.setupTotp({ password });
  await client.mfa.enableTotp('123456');
  await client.mfa.recoveryCodes({ password, code: '123456' });
  await client.mfa.disableTotp({ password, recoveryCode: 'aaaaa-bbbbb' });
  await client.mfa.verify({ code: '123456' });
  await client.mfa.verify({ recoveryCode: 'aaaaa-bbbbb' });
  await client.mfa.verifyWithPasskey();
  await client.passkeys.register({ name: 'Laptop' });
  await client.passkeys.list();
  await client.passkeys.rename('AQID', 'Phone');
  await client.passkeys.delete('AQID', { password });
  await client.passkeys.signIn();
  await client.social.providers();
  const start = new URL(await client.social.signInUrl('test'));
  reached.add(`GET ${start.pathname.replace('/test/', '/{provider}/')}`);
  await client.social.complete({ url: 'https://app.example.test/?code=abc' });
  await client.social.link('test', { password });
  await client.social.identities();
  await client.social.unlink('test');
  await client.logoutAll();
  await client.login({ email: 'ada@example.test', password });
  await client.logout();
  await client.login({ email: 'ada@example.test', password });
  await client.deleteAccount({ password });
  await client.password.reset({ token: 'token', newPassword: `${password}?` });
  client.close();

  const routes = endUserRoutes();
  for (const call of api.calls) {
    reached.add(call.key);
    assert.equal(call.credentials, 'include', call.key);
    const operation = routes.get(call.key);
    assert.ok(operation, `${call.key} is not an end-user route of the spec`);
    const schema = operation.requestBody?.content['application/json'].schema;
    if (call.body !== undefined) {
      assert.ok(schema, `${call.key} sends a body its operation does not take`);
      for (const key of Object.keys(call.body)) assert.ok(key in schema.properties, `${call.key}: ${key} is not in its request schema`);
    }
  }
  assert.deepEqual([...reached].sort(), [...routes.keys()].sort());
});
