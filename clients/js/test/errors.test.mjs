// Error answers as AuthError: RFC 9457 problem+json (the shapes of functions/Serverless.Auth/Http/Problems.cs), bodies
// that are not JSON, and failures without an answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError, createAuthClient } from '../dist/index.js';
import { BASE, FakeClock, START, problem } from './support/fakes.mjs';

/** A client whose every request gets `answer()`, or whose fetch rejects with it when it is an Error. */
function answering(answer) {
  const clock = new FakeClock();
  return createAuthClient({
    baseUrl: BASE,
    fetch: async () => {
      const response = answer();
      if (response instanceof Error) throw response;
      return response;
    },
    locks: null, BroadcastChannel: null, storage: null, credentials: null, location: null, history: null,
    setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now,
  });
}

async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

test('a validation problem gives status, title and the field messages', async () => {
  const client = answering(() => new Response(JSON.stringify({
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: 'One or more fields are invalid.',
    status: 400,
    errors: { password: ['Use at least 15 characters.'], email: ['Enter an email address.', 'Second message.'] },
  }), { status: 400, statusText: 'Bad Request', headers: { 'Content-Type': 'application/problem+json' } }));

  const error = await failure(client.signup({ email: 'not-an-address', password: 'short' }));

  assert.ok(error instanceof AuthError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'AuthError');
  assert.equal(error.status, 400);
  assert.equal(error.title, 'One or more fields are invalid.');
  assert.equal(error.code, undefined);
  assert.equal(error.detail, undefined);
  assert.deepEqual(error.errors, { password: ['Use at least 15 characters.'], email: ['Enter an email address.', 'Second message.'] });
  assert.deepEqual(error.fieldErrors('password'), ['Use at least 15 characters.']);
  assert.deepEqual(error.fieldErrors('code'), []);
  assert.equal(error.type, 'https://tools.ietf.org/html/rfc9110#section-15.5.1');
  assert.equal(error.retryAfter, undefined);
  assert.equal(error.message, 'One or more fields are invalid.');
});

test('a problem with a code extension gives the code, title and detail', async () => {
  const client = answering(() => problem(403, 'Email address not confirmed.',
    'Open the link in the confirmation mail first, or ask for a new one (POST /api/auth/email/resend).', { code: 'email_not_confirmed', instance: '/api/auth/login' }));

  const error = await failure(client.login({ email: 'ada@example.test', password: 'analytical engine notes 1843' }));

  assert.equal(error.status, 403);
  assert.equal(error.code, 'email_not_confirmed');
  assert.equal(error.title, 'Email address not confirmed.');
  assert.match(error.detail, /confirmation mail/);
  assert.equal(error.instance, '/api/auth/login');
  assert.equal(error.message, `${error.title} ${error.detail}`);
  assert.equal(error.body.code, 'email_not_confirmed');
});

test('retryAfter comes from the body\'s retryAfter (what a cross-origin page can read), before the header', async () => {
  const client = answering(() => problem(429, 'Too many attempts.', 'Wait before trying again.', { retryAfter: 30 }, { 'Retry-After': '99' }));

  const error = await failure(client.login({ email: 'ada@example.test', password: 'wrong password of length' }));

  assert.equal(error.status, 429);
  assert.equal(error.retryAfter, 30);
});

test('retryAfter falls back to the Retry-After header: delta-seconds', async () => {
  const client = answering(() => problem(503, 'The service is temporarily unavailable.', 'Try later.', {}, { 'Retry-After': '7' }));

  const error = await failure(client.password.forgot('ada@example.test'));

  assert.equal(error.status, 503);
  assert.equal(error.retryAfter, 7);
});

test('retryAfter falls back to the Retry-After header: an HTTP date, counted from now', async () => {
  const client = answering(() => problem(503, 'The service is temporarily unavailable.', 'Try later.', {}, { 'Retry-After': new Date(START + 120_500).toUTCString() }));

  const error = await failure(client.social.providers());

  assert.equal(error.retryAfter, 120); // toUTCString drops the milliseconds
});

test('a body that is not JSON gives the status line and keeps the text', async () => {
  const client = answering(() => new Response('<html><body>502 Bad Gateway</body></html>', {
    status: 502, statusText: 'Bad Gateway', headers: { 'Content-Type': 'text/html' },
  }));

  const error = await failure(client.email.resend('ada@example.test'));

  assert.ok(error instanceof AuthError);
  assert.equal(error.status, 502);
  assert.equal(error.title, 'Bad Gateway');
  assert.equal(error.code, undefined);
  assert.equal(error.errors, undefined);
  assert.equal(error.body, '<html><body>502 Bad Gateway</body></html>');
});

test('an empty error body without a status text still gives a title', async () => {
  const client = answering(() => new Response(null, { status: 500 }));

  const error = await failure(client.social.providers());

  assert.equal(error.status, 500);
  assert.equal(error.title, 'HTTP 500');
  assert.equal(error.body, undefined);
});

test('JSON that is not a problem object is kept as the body', async () => {
  const client = answering(() => new Response('["unexpected"]', { status: 500, statusText: 'Internal Server Error' }));

  const error = await failure(client.social.providers());

  assert.equal(error.title, 'Internal Server Error');
  assert.deepEqual(error.body, ['unexpected']);
});

test('a fetch that rejects (offline, a CORS refusal) is status 0 with code network_error and the cause', async () => {
  const cause = new TypeError('Failed to fetch');
  const client = answering(() => cause);

  const error = await failure(client.verify());

  assert.ok(error instanceof AuthError);
  assert.equal(error.status, 0);
  assert.equal(error.code, 'network_error');
  assert.equal(error.cause, cause);
  assert.match(error.detail, /CORS/);
});

test('a success answer that is not JSON is an AuthError too, not a SyntaxError', async () => {
  const client = answering(() => new Response('<html>login page</html>', { status: 200 }));

  const error = await failure(client.social.providers());

  assert.ok(error instanceof AuthError);
  assert.equal(error.code, 'invalid_response');
  assert.equal(error.status, 200);
});
