// Demo frontend for the auth API, through the browser client @serverless-auth/client (clients/js): npm start and
// npm test build it and copy it to vendor/ (.ci/demo-client.mjs); the page itself has no build step.
// Everything the page does is also on window.demo, for the browser console and the end-to-end tests.
// One script for every page: the demo page (index.html) and the pages the mails link to
// (auth/confirm, auth/reset, auth/forgot, auth/email-change), told apart by <body data-page>.
import { AuthError, createAuthClient } from './vendor/serverless-auth-client/index.js';

const $ = (id) => document.getElementById(id);
// Wires an element that only some of the pages have.
const on = (id, event, handler) => $(id)?.addEventListener(event, handler);
const page = document.body.dataset.page || 'main';

const DEFAULT_API = 'http://localhost:7071';
// Remembered per origin: the links in mails carry no ?api=, yet should reach the API used before.
const API_KEY = 'demo.api';
const apiInput = $('api');
const fromQuery = new URLSearchParams(location.search).get('api');
apiInput.value = fromQuery || localStorage.getItem(API_KEY) || apiInput.value || DEFAULT_API;
localStorage.setItem(API_KEY, apiInput.value);

let seq = 0;
// True between a successful signup/login and the next logout: a 401 from verify then means the
// browser dropped the cookie (or never sent it), which is the problem this demo exists to show.
let expectSession = false;
// True once verify or refresh succeeded in this page: the cookies demonstrably work, so a later 401
// means the session ended (logged out elsewhere, expired), not that the browser dropped a cookie.
let sessionSeen = false;
// The address "Resend confirmation mail" asks for: the session's, or the one a 403 email_not_confirmed login used.
let resendEmail = null;

function apiBase() {
  return apiInput.value.trim().replace(/\/+$/, '');
}

/** A JSON body as text gives it, else the text itself; null when empty. */
function parseBody(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * fetch as the client uses it, each exchange recorded as the page got it (demo.exchanges, and demo.refreshes for
 * POST /api/auth/refresh): what "Last response" and the end-to-end tests read. The client does the rest: credentials,
 * the one shared refresh (across tabs too), the retry after a 401.
 */
async function recordingFetch(input, init = {}) {
  const url = new URL(String(input));
  const record = { request: `${init.method ?? 'GET'} ${url.pathname}`, status: null, statusText: '', body: null };
  try {
    const response = await fetch(input, init);
    record.status = response.status;
    record.statusText = response.statusText;
    record.body = parseBody(await response.clone().text());
    return response;
  } catch (error) {
    // A CORS refusal is indistinguishable from a network failure on purpose: a TypeError, no details.
    record.error = `${error.name}: ${error.message}`;
    throw error;
  } finally {
    window.demo.exchanges.push(record);
    if (record.request === 'POST /api/auth/refresh') {
      window.demo.refreshes.push({ at: new Date().toISOString(), status: record.status });
      renderRefresh();
    }
  }
}

/** One client per API base: the refresh coordination (in this page and across its tabs) lives in it. */
function newClient() {
  const made = createAuthClient({ baseUrl: apiBase(), fetch: recordingFetch });
  made.onSessionChange((session, { fromOtherTab }) => {
    renderRefresh();
    // This tab's own answers update the page as they come (renderSession); another tab's news are shown at once.
    if (!fromOtherTab || !$('session')) return;
    if (session) {
      sessionSeen = true;
      showSignedIn(session);
    } else if ($('session').dataset.state === 'signed-in') {
      sessionEnded('Signed out in another tab.');
    }
  });
  return made;
}

let client = null;
apiInput.addEventListener('change', () => {
  localStorage.setItem(API_KEY, apiInput.value);
  client.close();
  client = newClient();
});

/** The client's scheduled renewal off (on again with demo.startRenewing()): a 401 then renews, once. */
function stopRenewing() {
  client.stopAutoRefresh();
  renderRefresh();
}

function startRenewing() {
  client.startAutoRefresh();
  renderRefresh();
}

function sessionEnded(text) {
  expectSession = false;
  sessionSeen = false;
  show('signed-out', text);
}

/** The last answer to <request> among the exchanges from index <from> on. */
function answerTo(request, from) {
  return window.demo.exchanges.slice(from).findLast((exchange) => exchange.request === request);
}

/**
 * One API call through the client, shown in "Last response" as { request, status, body } (or, when fetch rejected,
 * { status: null, error }): the client's answer, or its AuthError's problem. `refreshed` says that this request got a
 * 401 and one POST /api/auth/refresh ran before the client sent it again (that refresh's status), as the client does
 * for the calls that need a session. Quiet calls (a panel filling itself in) are not shown, so "Last response" keeps
 * the call the user made.
 */
async function call(request, run, { quiet = false } = {}) {
  const from = window.demo.exchanges.length;
  const result = { request };
  try {
    const value = await run(client);
    const answer = answerTo(request, from);
    Object.assign(result, { status: answer?.status ?? 200, statusText: answer?.statusText ?? '', body: value ?? null });
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    result.problem = error;
    if (error.status === 0) {
      // No HTTP answer: fetch rejected (network_error), or the browser could not do its part (a passkey dialog...).
      Object.assign(result, { status: null, error: error.code === 'network_error' ? String(error.cause ?? error.message) : `${error.code}: ${error.detail ?? error.title}` });
    } else {
      // A method of several requests (a passkey's options, then its answer) failed at one of them: name that one (the
      // refresh after a 401 is not the call's: its failure is the call's own 401).
      const exchanges = window.demo.exchanges.slice(from);
      const failed = exchanges.findLast((exchange) => exchange.request === request && exchange.status === error.status)
        ?? exchanges.findLast((exchange) => exchange.status === error.status && exchange.request !== 'POST /api/auth/refresh');
      if (failed) result.request = failed.request;
      Object.assign(result, { status: error.status, statusText: failed?.statusText ?? '', body: error.body ?? null });
    }
  }
  const exchanges = window.demo.exchanges.slice(from);
  const refresh = exchanges.findLast((exchange) => exchange.request === 'POST /api/auth/refresh');
  if (refresh && exchanges.some((exchange) => exchange.request === request && exchange.status === 401)) result.refreshed = refresh.status;
  window.demo.calls.push(result);
  if (!quiet) render(result);
  return result;
}

const signup = (email, password) => call('POST /api/auth/signup', (c) => c.signup({ email, password }));
const login = (email, password) => call('POST /api/auth/login', (c) => c.login({ email, password }));
const verify = ({ quiet = false } = {}) => call('GET /api/auth/verify', (c) => c.verify(), { quiet });
const sessions = () => call('GET /api/auth/sessions', (c) => c.sessions());
// The account's last 50 security events, newest first (quiet: when the Recent activity panel fills itself in).
const listActivity = ({ quiet = false } = {}) => call('GET /api/auth/activity', (c) => c.activity(), { quiet });
const logout = () => call('POST /api/auth/logout', (c) => c.logout());
const logoutAll = () => call('POST /api/auth/logout-all', (c) => c.logoutAll());
// Email flows: each answers the same whatever the address, so the page cannot say more than the API does.
const forgot = (email) => call('POST /api/auth/password/forgot', (c) => c.password.forgot(email));
const resend = (email) => call('POST /api/auth/email/resend', (c) => c.email.resend(email));
const confirmEmail = (token) => call('POST /api/auth/email/confirm', (c) => c.email.confirm(token));
const resetPassword = (token, newPassword) => call('POST /api/auth/password/reset', (c) => c.password.reset({ token, newPassword }));
// Changing the address: the first call only mails a link to the new address; the link's page confirms it.
const changeEmail = (newEmail, password) => call('POST /api/auth/email/change', (c) => c.email.change({ newEmail, password }));
const confirmEmailChange = (token) => call('POST /api/auth/email/change/confirm', (c) => c.email.confirmChange(token));
// The sample protected API: the app's own endpoints behind the same session, through the client's fetch (a 401
// renews the session once, with the same shared refresh, and sends the request again).
const notesCall = (method, payload) => call(`${method} /api/me/notes`, async (c) => {
  const response = await c.fetch('/api/me/notes', payload === undefined
    ? { method }
    : { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload) });
  const body = parseBody(await response.text());
  if (!response.ok) throw new AuthError({ status: response.status, title: response.statusText, code: body?.code, detail: body?.detail, body });
  return body;
});
const listNotes = () => notesCall('GET');
const addNote = (text) => notesCall('POST', { text });
// Two-factor sign-in: the second step after a login that answered mfa_required, and the signed-in user's factor.
const mfaVerify = (answer) => call('POST /api/auth/mfa/verify', (c) => c.mfa.verify(answer));
const mfaStatus = () => call('GET /api/auth/mfa', (c) => c.mfa.status(), { quiet: true });
const mfaSetup = (password) => call('POST /api/auth/mfa/totp/setup', (c) => c.mfa.setupTotp({ password }));
const mfaEnable = (code) => call('POST /api/auth/mfa/totp/enable', (c) => c.mfa.enableTotp(code));
const mfaDisable = (password, code) => call('POST /api/auth/mfa/totp/disable', (c) => c.mfa.disableTotp({ password, ...secondFactorAnswer(code) }));
// Passkeys: the client asks for the options, runs the browser's dialog (navigator.credentials) and sends its answer.
// The challenge travels in an HttpOnly cookie (auth-webauthn) from the options to the answer. Adding and deleting take
// the password (and a code with TOTP on), left out when empty: within the step-up window the API needs neither.
const addPasskey = (name, password, code) => call('POST /api/auth/passkeys/register',
  (c) => c.passkeys.register({ name: name || undefined, password: password || undefined, ...secondFactorAnswer(code) }));
const passkeySignIn = () => call('POST /api/auth/passkeys/login', (c) => c.passkeys.signIn());
const mfaPasskey = () => call('POST /api/auth/mfa/verify', (c) => c.mfa.verifyWithPasskey());
const listPasskeys = ({ quiet = false } = {}) => call('GET /api/auth/passkeys', (c) => c.passkeys.list(), { quiet });
const deletePasskey = (id, password, code) => call('POST /api/auth/passkeys/delete',
  (c) => c.passkeys.delete(id, { password: password || undefined, ...secondFactorAnswer(code) }));
// Social sign-in (OpenID Connect): the start and the provider are navigations of this tab; the session comes from the
// exchange, a credentialed fetch like login's, so its cookies land where this page's requests find them (cross-site too).
const listProviders = () => call('GET /api/auth/oidc/providers', (c) => c.social.providers(), { quiet: true });
// Quiet: a sign-in's exchange is shown when it signed in, else the verify after it is (finishOidc).
const completeSocial = () => call('POST /api/auth/oidc/exchange', (c) => c.social.complete(), { quiet: true });
const listIdentities = ({ quiet = false } = {}) => call('GET /api/auth/identities', (c) => c.social.identities(), { quiet });
const unlinkIdentity = (provider) => call('POST /api/auth/identities/unlink', (c) => c.social.unlink(provider));
const linkProvider = (provider, password, code) => call(`POST /api/auth/oidc/${encodeURIComponent(provider)}/link`,
  (c) => c.social.link(provider, { password: password || undefined, ...secondFactorAnswer(code) }));

/** What a code box holds, as the API takes it: digits are an app's code, anything else a recovery code (xxxxx-xxxxx); empty: none. */
function secondFactorAnswer(text) {
  const value = (text || '').trim();
  if (value === '') return {};
  return /^[0-9 ]+$/.test(value) ? { code: value.replaceAll(' ', '') } : { recoveryCode: value };
}

/** fetch rejected: offline, the API down, or a CORS refusal (the browser does not say which). */
function unreachable(result) {
  return result.status === null && (!result.problem || result.problem.code === 'network_error');
}

function render(result) {
  seq += 1;
  const status = $('result-status');
  const retried = result.refreshed === undefined ? '' : `, after one POST /api/auth/refresh \u2192 ${result.refreshed ?? 'failed'}`;
  $('result-request').textContent = `${result.request} (${apiBase()}${retried})`;
  if (result.status === null && unreachable(result)) {
    status.textContent = `fetch failed: ${result.error}`;
    status.dataset.status = 'error';
    $('result-body').textContent = 'The browser refused to hand this response to the page (network error, or CORS does not allow this origin).';
  } else if (result.status === null) {
    status.textContent = `no answer: ${result.error}`;
    status.dataset.status = 'error';
    $('result-body').textContent = 'The browser did not do its part (see the message under the button); the API answered every request before it.';
  } else {
    status.textContent = `${result.status} ${result.statusText}`.trim();
    status.dataset.status = String(result.status);
    $('result-body').textContent = result.body === null ? '(empty body)' : JSON.stringify(result.body, null, 2);
  }
  status.dataset.seq = String(seq);
  window.demo.seq = seq;
  window.demo.last = result;
  renderSession(result);
  renderDocumentCookie();
}

/**
 * The session line (demo page only). Hides "Resend confirmation mail" unless told otherwise, and shows
 * the forms that need a session (Change email) only while signed in.
 */
function show(state, text) {
  const session = $('session');
  if (!session) return;
  session.dataset.state = state;
  session.textContent = text;
  offerResend(null);
  $('change-email-form').hidden = state !== 'signed-in';
  $('notes-form').hidden = state !== 'signed-in';
  const mfaShown = !$('mfa-form').hidden;
  const passkeysShown = !$('passkeys-form').hidden;
  $('mfa-form').hidden = state !== 'signed-in';
  $('passkeys-form').hidden = state !== 'signed-in';
  $('mfa-step-form').hidden = state !== 'mfa-required';
  // Each second step starts empty, asking for the app's code (a wrong answer keeps the step, and this, as it is).
  if (state !== 'mfa-required') {
    useRecoveryCode(false);
    $('mfa-step-passkey').hidden = true;
    $('mfa-step-code').value = '';
    $('mfa-step-recovery').value = '';
    say('mfa-step-error', '', '');
  }
  // The panel's status, each time it appears (quietly: "Last response" keeps the call that signed in); when it
  // hides, what it said goes (the next user to sign in here must not see this one's).
  if (state === 'signed-in' && !mfaShown) {
    renderMfa();
  } else if (state !== 'signed-in') {
    delete $('mfa-status').dataset.totp;
    delete $('mfa-status').dataset.recoveryCodesLeft;
    $('mfa-status').textContent = '';
    $('mfa-recovery').hidden = true;
    $('mfa-recovery-codes').replaceChildren();
    $('mfa-qr').hidden = true;
    $('mfa-secret').textContent = '';
  }
  // The passkeys panel likewise: listed (quietly) when it appears, emptied when it hides.
  if (state === 'signed-in' && !passkeysShown) {
    say('passkey-login-message', '', '');
    renderPasskeys();
  } else if (state !== 'signed-in') {
    $('passkeys-list').replaceChildren();
    delete $('passkeys-list').dataset.count;
    for (const id of ['passkey-name', 'passkey-password', 'passkey-code']) $(id).value = '';
    $('passkey-code-field').hidden = true;
    say('passkey-message', '', '');
  }
  showIdentities(state === 'signed-in');
  // Recent activity likewise: listed when it appears, emptied when it hides.
  const activityWasShown = activityShown();
  $('activity').hidden = state !== 'signed-in';
  if (state === 'signed-in' && !activityWasShown) {
    renderActivity();
  } else if (state !== 'signed-in') {
    clearActivity();
  }
}

function showSignedIn(body) {
  // A signup's answer has no expiresAt: the client learnt it (a verify) before the call returned.
  const expiresAt = (body && body.expiresAt) || client.session?.expiresAt;
  const until = expiresAt ? ` until ${new Date(expiresAt).toLocaleTimeString()}` : '';
  const confirmed = body && body.emailConfirmed;
  const address = confirmed === true ? ' Email confirmed.'
    : confirmed === false ? ' Email not confirmed yet: open the link in the confirmation mail.' : '';
  const methods = body && Array.isArray(body.amr) ? ` Signed in with: ${body.amr.join(', ')}.` : '';
  show('signed-in', `Signed in as ${body && body.email}${until}.${address}${methods}`);
  $('session').dataset.emailConfirmed = String(confirmed);
  $('session').dataset.amr = body && Array.isArray(body.amr) ? body.amr.join(' ') : '';
  if (confirmed === false) offerResend(body.email);
}

/** Shows the resend button for this address, or hides it (null). */
function offerResend(email) {
  resendEmail = email;
  if ($('resend')) $('resend').hidden = email === null;
}

/** A status line under a form: what the user should know about the last answer. */
function say(id, state, text) {
  const line = $(id);
  line.dataset.state = state;
  line.textContent = text;
}

/**
 * A 400's per-field messages (problem+json errors: { field: [messages] }) on the lines under the fields,
 * given as { field: line id }; every other line is cleared. True when the problem named one of them.
 */
function sayFieldErrors(result, lines) {
  const errors = (result.status === 400 && result.body && result.body.errors) || {};
  let named = false;
  for (const [field, id] of Object.entries(lines)) {
    const messages = errors[field];
    say(id, messages ? 'error' : '', messages ? messages.join(' ') : '');
    named = named || Boolean(messages);
  }
  return named;
}

/** Why a request failed, in words; the details are in "Last response". */
function failure(result) {
  if (result.status === null) return `Cannot reach ${apiBase()}: is the API running?`;
  if (result.status === 429) {
    // Retry-After is not readable cross-origin (Azure's CORS exposes no headers): the problem body repeats it.
    const wait = result.body && Number.isInteger(result.body.retryAfter) ? `${result.body.retryAfter} s` : 'a minute';
    return `Too many attempts: wait ${wait} and try again.`;
  }
  const problem = result.body && typeof result.body === 'object' ? result.body : {};
  return `${result.status}: ${problem.detail || problem.title || result.statusText}`;
}

function renderSession(result) {
  const path = result.request.split(' ')[1];
  const ended = path === '/api/auth/logout' || path === '/api/auth/logout-all';
  const needsSession = path === '/api/auth/verify' || path === '/api/auth/sessions' || path === '/api/auth/logout-all'
    || path === '/api/auth/email/change' || path === '/api/auth/activity';
  const sessionAnswer = path === '/api/auth/signup' || path === '/api/auth/login' || path === '/api/auth/verify' || path === '/api/auth/mfa/verify'
    || path === '/api/auth/passkeys/login' || path === '/api/auth/oidc/exchange';
  const firstStep = path === '/api/auth/login' || path === '/api/auth/oidc/exchange';

  if (unreachable(result)) {
    show('error', `Cannot reach ${apiBase()} from this origin: ${result.error}. Is the API running, and is ${location.origin} in its Host.CORS list?`);
  } else if (path === '/api/auth/signup' && result.status === 202) {
    // Auth__Email__RequireConfirmed: the same answer for a new and a registered address, and no cookie.
    sessionEnded('Signup accepted: confirm your address with the link in the mail, then log in.');
  } else if (path === '/api/auth/login' && result.status === 403 && result.body && result.body.code === 'email_not_confirmed') {
    sessionEnded('Right password, but this address is not confirmed yet: open the link in the confirmation mail, then log in.');
    offerResend($('login-email').value);
  } else if (path === '/api/auth/passkeys/login' && result.status === 403 && result.body && result.body.code === 'email_not_confirmed') {
    sessionEnded('Right passkey, but the account\'s address is not confirmed yet: open the link in the confirmation mail, then sign in.');
  } else if (path === '/api/auth/oidc/exchange' && result.status === 403 && result.body && result.body.code === 'email_not_confirmed') {
    sessionEnded('The provider signed you in, but the account\'s address is not confirmed yet: open the link in the confirmation mail, then sign in.');
  } else if (firstStep && result.status === 200 && result.body && result.body.status === 'mfa_required') {
    // No session yet: only the pending sign-in cookie, for the second step until expiresAt. A provider's sign-in is
    // only the first step: its own methods never count as the second.
    expectSession = false;
    const passkey = Array.isArray(result.body.methods) && result.body.methods.includes('passkey');
    const before = new Date(result.body.expiresAt).toLocaleTimeString();
    const done = path === '/api/auth/login' ? 'Password right.' : 'The provider signed you in.';
    show('mfa-required', passkey
      ? `${done} Enter a code from your authenticator app (or a recovery code), or use a passkey, before ${before}.`
      : `${done} Enter a code from your authenticator app (or a recovery code) before ${before}.`);
    $('mfa-step-passkey').hidden = !passkey;
  } else if ((result.status === 200 || result.status === 201) && sessionAnswer) {
    const activityWasShown = activityShown();
    showSignedIn(result.body);
    // A new session while the list showed the previous one's: list again (what "this session" is has changed).
    if (activityWasShown && path !== '/api/auth/verify') renderActivity();
    if (path === '/api/auth/verify') {
      sessionSeen = true;
    } else {
      expectSession = true;
    }
  } else if (ended && result.status === 204) {
    sessionEnded(path === '/api/auth/logout'
      ? 'Logged out. The cookie is cleared and the token is revoked on the server.'
      : 'Logged out everywhere: every session of this account has ended, in every browser.');
  } else if (needsSession && result.status === 401) {
    // Only after the one refresh this 401 triggered failed too.
    if (sessionSeen) {
      sessionEnded('Session ended: the access token and the refresh both answered 401 (logged out everywhere, or the session expired). Log in again.');
    } else if (expectSession) {
      show('cookie-blocked', 'Login succeeded, but verify answers 401: the browser did not store or did not send the cookie. '
        + 'Cross-site (page and API on different sites) needs SameSite=None; Secure; Partitioned. See docs/cookies-troubleshooting.md in the repository.');
    } else {
      sessionEnded('Not signed in.');
    }
  }
}

function renderRefresh() {
  if (!window.demo || !$('refresh-count')) return;
  $('refresh-count').textContent = String(window.demo.refreshes.filter((r) => r.status === 200).length);
  const next = client?.nextRefreshAt;
  $('refresh-next').textContent = next ? `; next at ${next.toLocaleTimeString()}` : '';
}

function renderDocumentCookie() {
  if (!$('document-cookie')) return;
  $('document-cookie').textContent = document.cookie === '' ? '(empty: both session cookies are HttpOnly)' : document.cookie;
}

/**
 * The token of a link from a mail (?token=…), taken out of the address bar, the history and any later
 * Referer at once; these pages also send no Referer at all (<meta name="referrer" content="no-referrer">).
 */
function takeToken() {
  const token = new URLSearchParams(location.search).get('token');
  history.replaceState(null, '', location.pathname);
  return token;
}

on('signup-form', 'submit', (event) => {
  event.preventDefault();
  signup($('signup-email').value, $('signup-password').value);
});

on('login-form', 'submit', (event) => {
  event.preventDefault();
  login($('login-email').value, $('login-password').value);
});

on('verify', 'click', () => verify());
on('sessions', 'click', () => sessions());
on('logout', 'click', () => logout());
on('logout-all', 'click', () => logoutAll());

on('resend', 'click', async () => {
  const result = await resend(resendEmail);
  say('resend-message', result.status === 202 ? 'sent' : 'error', result.status === 202
    ? `If ${resendEmail} still needs confirming, a new link is on its way (one mail a minute at most).`
    : failure(result));
});

// Demo page and /auth/forgot (where the "someone tried to sign up with your address" mail links).
on('forgot-form', 'submit', async (event) => {
  event.preventDefault();
  const result = await forgot($('forgot-email').value);
  say('forgot-message', result.status === 202 ? 'sent' : 'error', result.status === 202
    ? 'If an account exists for this address, we sent a link to reset its password.'
    : failure(result));
});

// Demo page, signed in: the address changes only once the link mailed to the new address is opened.
on('change-email-form', 'submit', async (event) => {
  event.preventDefault();
  const newEmail = $('change-email-new').value;
  const result = await changeEmail(newEmail, $('change-email-password').value);
  const named = sayFieldErrors(result, { newEmail: 'change-email-new-error', password: 'change-email-password-error' });
  if (result.status === 202) {
    $('change-email-password').value = '';
    say('change-email-message', 'sent', `Check ${newEmail} for a link. Your address changes when you open it.`);
  } else {
    say('change-email-message', 'error', named ? 'Not changed: see the fields above.' : failure(result));
  }
});

// Demo page, signed in: the notes list, as GET /api/me/notes answers it (newest first; text only, never HTML).
async function renderNotes(result) {
  const list = $('notes-list');
  list.replaceChildren();
  if (result.status !== 200) return;
  for (const note of result.body) {
    const item = document.createElement('li');
    item.textContent = note.text;
    list.append(item);
  }
  list.dataset.count = String(result.body.length);
}

on('load-notes', 'click', async () => renderNotes(await listNotes()));

// Demo page, signed in: Recent activity, as GET /api/auth/activity lists it (newest first). Every field is the API's
// text, set as text (never markup): the User-Agent in particular is whatever the client sent.
const ACTIVITY_LABELS = {
  signup: 'Account created',
  'login.succeeded': 'Signed in',
  'login.failed': 'Failed sign-in',
  'login.throttled': 'Sign-in refused: too many attempts',
  'refresh.reuse_detected': 'A spent session token was used again: the session was ended',
  logout: 'Signed out',
  logout_all: 'Signed out everywhere',
  'session.revoked': 'Session revoked',
  'password.changed': 'Password changed',
  'password.reset_requested': 'Password reset requested',
  'password.reset': 'Password reset',
  'email.confirmed': 'Email address confirmed',
  'email.change_requested': 'Email change requested',
  'email.changed': 'Email address changed',
  'account.deleted': 'Account deleted',
  'account.disabled': 'Account disabled by an administrator',
  'account.enabled': 'Account enabled by an administrator',
  'mfa.enabled': 'Two-factor sign-in turned on',
  'mfa.disabled': 'Two-factor sign-in turned off',
  'mfa.recovery_codes_created': 'New recovery codes',
  'mfa.failed': 'Wrong second-step code',
  'passkey.added': 'Passkey added',
  'passkey.removed': 'Passkey deleted',
  'oidc.linked': 'Provider linked',
  'oidc.unlinked': 'Provider unlinked',
  'admin.user_found': 'Looked up by an administrator',
  'admin.user_viewed': 'Viewed by an administrator',
  'admin.signout': 'Signed out everywhere by an administrator',
  'admin.resend_confirmation': 'Confirmation mail resent by an administrator',
};

/** Refused credentials and detected reuse: shown as failures (the API's outcome, which the list does not carry). */
const ACTIVITY_FAILURES = new Set(['login.failed', 'login.throttled', 'mfa.failed', 'refresh.reuse_detected']);

function activityLabel(type) {
  if (Object.hasOwn(ACTIVITY_LABELS, type)) return ACTIVITY_LABELS[type];
  return type.startsWith('admin.') ? 'An administrator\'s action' : 'Security event';
}

/** A User-Agent in a few words ("Chrome 131 on Linux"); one no rule knows, cut to 40 characters. */
function shortUserAgent(userAgent) {
  if (!userAgent) return 'unknown browser';
  const browsers = [
    [/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
    [/OPR\/(\d+)/, 'Opera'],
    [/(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
    [/HeadlessChrome\/(\d+)/, 'Headless Chrome'],
    [/(?:Chrome|CriOS)\/(\d+)/, 'Chrome'],
    [/Version\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
  ];
  const systems = [[/Windows/, 'Windows'], [/Android/, 'Android'], [/iPhone|iPad|iPod/, 'iOS'], [/Mac OS X|Macintosh/, 'macOS'], [/CrOS/, 'ChromeOS'], [/Linux/, 'Linux']];
  const browser = browsers.map(([pattern, name]) => {
    const match = pattern.exec(userAgent);
    return match && `${name} ${match[1]}`;
  }).find(Boolean);
  const system = systems.find(([pattern]) => pattern.test(userAgent));
  if (browser) return system ? `${browser} on ${system[1]}` : browser;
  return userAgent.length > 40 ? `${userAgent.slice(0, 39)}\u2026` : userAgent;
}

function activityShown() {
  return Boolean($('activity')) && !$('activity').hidden;
}

// Each listing's number: an answer that a newer listing (or signing out) overtook is dropped, not shown.
let activityListing = 0;

/**
 * Lists the events: by itself (quiet) when the panel appears, or what the Refresh button's call answered (shown in
 * "Last response"). The answer stays in demo.lastActivity for the end-to-end tests.
 */
async function renderActivity(load = () => listActivity({ quiet: true })) {
  const listing = ++activityListing;
  const result = await load();
  if (listing !== activityListing || !activityShown()) return result;
  window.demo.lastActivity = result;
  const list = $('activity-list');
  if (result.status !== 200 || !Array.isArray(result.body)) {
    say('activity-message', 'error', failure(result));
    return result;
  }

  say('activity-message', '', '');
  list.replaceChildren(...result.body.map(activityItem));
  if (result.body.length === 0) {
    const item = document.createElement('li');
    item.className = 'hint';
    item.textContent = 'No activity yet.';
    list.append(item);
  }
  list.dataset.count = String(result.body.length);
  list.dataset.listing = String(listing);
  return result;
}

/** One event: its label in bold, the raw type, "this session" for the session looking, then when, where from, what with. */
function activityItem(event) {
  const item = document.createElement('li');
  item.dataset.type = event.type;
  item.dataset.current = String(event.current === true);
  if (ACTIVITY_FAILURES.has(event.type)) item.dataset.outcome = 'failure';

  const label = document.createElement('strong');
  label.className = 'activity-label';
  label.textContent = activityLabel(event.type);
  const type = document.createElement('code');
  type.className = 'activity-type';
  type.textContent = event.type;
  item.append(label, ' ', type);

  if (event.current === true) {
    const current = document.createElement('span');
    current.className = 'activity-current';
    current.textContent = 'this session';
    item.append(' ', current);
  }

  const details = document.createElement('span');
  details.className = 'hint activity-details';
  const at = document.createElement('time');
  at.className = 'activity-at';
  at.dateTime = event.at;
  at.textContent = localTime(event.at);
  const from = document.createElement('span');
  from.className = 'activity-ip';
  from.textContent = event.ipPrefix ? `from ${event.ipPrefix}` : 'address unknown';
  const client = document.createElement('span');
  client.className = 'activity-agent';
  client.textContent = shortUserAgent(event.userAgent);
  if (event.userAgent) client.title = event.userAgent;
  details.append(at, '; ', from, '; ', client);
  item.append(' ', details);
  return item;
}

function clearActivity() {
  activityListing += 1;
  $('activity-list').replaceChildren();
  delete $('activity-list').dataset.count;
  delete $('activity-list').dataset.listing;
  say('activity-message', '', '');
  window.demo.lastActivity = null;
}

on('activity-refresh', 'click', () => renderActivity(() => listActivity()));

/** The second step asks for a recovery code (true) or the app's code (false); the link offers the other. */
function useRecoveryCode(recovery) {
  $('mfa-step-with-code').hidden = recovery;
  $('mfa-step-with-recovery').hidden = !recovery;
  $('mfa-step-switch').textContent = recovery ? 'Use a code from the app' : 'Use a recovery code';
  $('mfa-step-form').dataset.method = recovery ? 'recovery' : 'totp';
}

on('mfa-step-switch', 'click', (event) => {
  event.preventDefault();
  const recovery = $('mfa-step-with-recovery').hidden;
  useRecoveryCode(recovery);
  $(recovery ? 'mfa-step-recovery' : 'mfa-step-code').focus();
});

// The second step: a code, or a recovery code; a wrong one keeps the step open (the pending cookie stays).
on('mfa-step-form', 'submit', async (event) => {
  event.preventDefault();
  secondStepAnswered(await mfaVerify($('mfa-step-with-recovery').hidden
    ? { code: $('mfa-step-code').value.trim() }
    : { recoveryCode: $('mfa-step-recovery').value.trim() }));
});

/** What the second step's answer (a code, a recovery code or a passkey's) means for the form. */
function secondStepAnswered(result) {
  if (result.status === 200) {
    $('mfa-step-code').value = '';
    $('mfa-step-recovery').value = '';
    say('mfa-step-error', '', '');
  } else if (result.status === 401) {
    sessionEnded('The second step expired or was used already: log in again.');
  } else {
    const errors = (result.status === 400 && result.body && result.body.errors) || {};
    say('mfa-step-error', 'error', (errors.code || errors.recoveryCode || errors.credential || [failure(result)]).join(' '));
  }
}

// The second step with a passkey: the client asks for options limited to this account's passkeys (the pending cookie
// says which), runs the browser's dialog, and sends the answer to the same POST /api/auth/mfa/verify as a code.
on('mfa-step-passkey', 'click', passkeyAction(async () => {
  const result = await mfaPasskey();
  const dialog = authenticatorMessage(result);
  if (dialog) {
    say('mfa-step-error', 'error', dialog);
  } else {
    secondStepAnswered(result);
  }
}));

/** The signed-in user's factor, as GET /api/auth/mfa says (never a secret); quiet: not shown in "Last response". */
async function renderMfa() {
  const result = await mfaStatus();
  const line = $('mfa-status');
  if (result.status !== 200) return result;
  line.dataset.totp = String(result.body.totp);
  // Adding or deleting a passkey, or linking a provider, then also takes a code (outside the step-up window).
  $('passkey-code-field').hidden = !result.body.totp;
  $('identity-code-field').hidden = !result.body.totp;
  line.dataset.recoveryCodesLeft = String(result.body.recoveryCodesLeft);
  line.textContent = result.body.totp
    ? `On: sign-in asks for a code after the password. ${result.body.recoveryCodesLeft} recovery codes left.`
    : 'Off: the password alone signs in.';
  return result;
}

on('mfa-setup', 'click', async () => {
  const result = await mfaSetup($('mfa-password').value);
  if (result.status === 200) {
    // The QR code is the server's SVG as an image (never inserted as markup), and the secret as text.
    const svg = new TextEncoder().encode(result.body.qrSvg);
    $('mfa-qr-image').src = 'data:image/svg+xml;base64,' + btoa(String.fromCharCode(...svg));
    $('mfa-secret').textContent = result.body.secret;
    $('mfa-qr').hidden = false;
    $('mfa-password').value = '';
    say('mfa-message', 'setup', 'Scan the code (or type the secret) in your app, then enter the code it shows and Enable.');
  } else {
    say('mfa-message', 'error', sayFieldErrorsText(result) || failure(result));
  }
});

on('mfa-enable', 'click', async () => {
  const result = await mfaEnable($('mfa-code').value.trim());
  if (result.status === 200) {
    const list = $('mfa-recovery-codes');
    list.replaceChildren(...result.body.recoveryCodes.map((code) => {
      const item = document.createElement('li');
      item.textContent = code;
      return item;
    }));
    $('mfa-recovery').hidden = false;
    $('mfa-qr').hidden = true;
    $('mfa-secret').textContent = '';
    $('mfa-code').value = '';
    say('mfa-message', 'enabled', 'Two-factor sign-in is on. Your other sessions were signed out.');
    await renderMfa();
  } else {
    say('mfa-message', 'error', sayFieldErrorsText(result) || failure(result));
  }
});

on('mfa-disable', 'click', async () => {
  const result = await mfaDisable($('mfa-password').value, $('mfa-code').value.trim());
  if (result.status === 204) {
    $('mfa-password').value = '';
    $('mfa-code').value = '';
    $('mfa-recovery').hidden = true;
    say('mfa-message', 'disabled', 'Two-factor sign-in is off.');
    await renderMfa();
  } else {
    say('mfa-message', 'error', sayFieldErrorsText(result) || failure(result));
  }
});

/** A 400's field messages as one line (password, code, recovery code), or '' when there are none. */
function sayFieldErrorsText(result) {
  const errors = (result.status === 400 && result.body && result.body.errors) || {};
  return Object.values(errors).flat().join(' ');
}
/**
 * What the browser's part of a passkey call said, in words, or null when it did its part (the API's answer is then in
 * the result). The DOMException's name stays in demo.authenticatorError.
 */
function authenticatorMessage(result) {
  const problem = result.problem;
  if (result.status !== null || !problem || problem.code === 'network_error') {
    window.demo.authenticatorError = null;
    return null;
  }
  if (problem.code === 'unsupported') {
    window.demo.authenticatorError = 'NotSupported';
    return 'This browser cannot use passkeys here: it needs a secure context (https, or http on localhost) and WebAuthn (a current Chrome, Edge, Firefox or Safari).';
  }
  const name = problem.cause instanceof Error ? problem.cause.name : problem.code;
  window.demo.authenticatorError = name;
  return authenticatorFailure(name, lastPasskeyRpId());
}

/** The relying party id of the options the last passkey call got (rp.id when creating, rpId when signing in). */
function lastPasskeyRpId() {
  const options = window.demo.exchanges.findLast((exchange) => exchange.body && exchange.body.publicKey);
  const publicKey = options ? options.body.publicKey : {};
  return (publicKey.rp && publicKey.rp.id) || publicKey.rpId;
}

/** Why the browser gave no passkey, in words. */
function authenticatorFailure(name, rpId) {
  switch (name) {
    case 'NotAllowedError':
      return 'No passkey: the browser\'s dialog was cancelled or timed out, or this device has no passkey for this site.';
    case 'InvalidStateError':
      return 'This device already holds a passkey for this account.';
    case 'SecurityError':
      return `This page (${location.hostname}) cannot use passkeys for ${rpId}: open it on ${rpId} or a subdomain of it (Auth__Passkeys__RpId).`;
    default:
      return `The browser gave no passkey: ${name}.`;
  }
}

/** A passkey action (calls and the browser's dialog, in turn); demo.actions counts those finished, for the end-to-end tests. */
function passkeyAction(run) {
  return async (event) => {
    event?.preventDefault();
    try {
      await run();
    } finally {
      window.demo.actions += 1;
    }
  };
}

/** A button the page makes itself (a provider's, a list entry's Delete or Unlink); text only, never markup. */
function actionButton(className, text, onClick) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = className;
  button.textContent = text;
  button.addEventListener('click', onClick);
  return button;
}

/**
 * A list of things the account has (passkeys, linked providers), as the API listed them: each entry its name in bold
 * (class <kind>-name), its details as a hint, its button; "none yet" when empty; data-count says how many.
 */
function renderList(list, entries, none) {
  list.replaceChildren(...entries.map(({ kind, name, details, button, data }) => {
    const item = document.createElement('li');
    Object.assign(item.dataset, data);
    const strong = document.createElement('strong');
    strong.className = `${kind}-name`;
    strong.textContent = name;
    const hint = document.createElement('span');
    hint.className = 'hint';
    hint.textContent = details;
    item.append(strong, hint, button);
    return item;
  }));
  if (entries.length === 0) {
    const item = document.createElement('li');
    item.className = 'hint';
    item.textContent = none;
    list.append(item);
  }
  list.dataset.count = String(entries.length);
}

const localTime = (at) => new Date(at).toLocaleString();

/** The signed-in user's passkeys, as GET /api/auth/passkeys lists them, each with Delete; quiet (not in "Last response"). */
async function renderPasskeys() {
  const result = await listPasskeys({ quiet: true });
  if (result.status === 404) say('passkey-message', 'error', failure(result)); // passkeys off: the detail says which setting
  if (result.status !== 200) return result;
  renderList($('passkeys-list'), result.body.passkeys.map((passkey) => ({
    kind: 'passkey',
    data: { id: passkey.id },
    name: passkey.name,
    details: ` added ${localTime(passkey.createdAt)}; ${passkey.lastUsedAt ? `last used ${localTime(passkey.lastUsedAt)}` : 'not used yet'}; `
      + (passkey.backupEligible ? 'synced (swk)' : 'this device only (hwk)'),
    button: actionButton('passkey-delete', 'Delete', passkeyAction(() => removePasskey(passkey))),
  })), 'No passkeys yet.');
  return result;
}

/** After adding or deleting: the re-authentication fields empty, the message said, the list again. */
async function passkeyChanged(text) {
  for (const id of ['passkey-name', 'passkey-password', 'passkey-code']) $(id).value = '';
  say('passkey-message', 'changed', text);
  await renderPasskeys();
}

// Add: the client asks for options (with the re-authentication), runs the browser's dialog, sends its answer with the name.
on('passkeys-form', 'submit', passkeyAction(async () => {
  say('passkey-message', 'asking', 'Follow the browser\'s dialog to create the passkey.');
  const added = await addPasskey($('passkey-name').value.trim(), $('passkey-password').value, $('passkey-code').value);
  const dialog = authenticatorMessage(added);
  if (added.status === 200) {
    await passkeyChanged(`Added "${added.body.name}". Log out and try "Sign in with a passkey".`);
  } else {
    say('passkey-message', 'error', dialog || sayFieldErrorsText(added) || failure(added));
  }
}));

async function removePasskey(passkey) {
  const result = await deletePasskey(passkey.id, $('passkey-password').value, $('passkey-code').value);
  if (result.status === 204) {
    await passkeyChanged(`Deleted "${passkey.name}". Remove it from the device's passkeys too (the browser or phone settings).`);
  } else {
    say('passkey-message', 'error', sayFieldErrorsText(result) || failure(result));
  }
}

// Signed out: options naming no account, the browser offers this site's passkeys, its answer signs in (or is refused).
on('passkey-login', 'click', passkeyAction(async () => {
  say('passkey-login-message', '', '');
  const result = await passkeySignIn();
  if (result.status !== 200) say('passkey-login-message', 'error', authenticatorMessage(result) || failure(result));
}));

// Social sign-in. The frontend's part, done by the client: a random verifier kept in this tab's sessionStorage, its
// SHA-256 (base64url) as the start's codeChallenge, then the navigation; back on this page, ?code= is exchanged with the
// verifier (the code is useless without it): a sign-in's starts the session, a link's is confirmed by this page's own
// session (status linked); ?error= says what went wrong.
// Set while a link (not a sign-in) is at the provider: its ?error= belongs to the Linked providers panel.
const OIDC_LINKING_KEY = 'demo.oidc.linking';
let oidcProviders = [];

/** What the callback's ?error= codes (and the same codes in the exchange's 409) mean for the user (the API's list: OidcEndpoints.Callback). */
const OIDC_ERRORS = {
  account_exists: 'An account already uses this address. Log in with its password (or passkey), then link the provider under "Linked providers".',
  access_denied: 'The sign-in was cancelled at the provider.',
  email_required: 'The provider gave no email address: allow it to share your address, or sign up with a password.',
  identity_in_use: 'That account at the provider already signs in to another account here: unlink it there first.',
  provider_already_linked: 'This account already has an identity of that provider linked: unlink it first.',
  link_expired: 'The link request expired (5 minutes), was used already, or the password changed since: link again.',
  account_gone: 'The account was deleted meanwhile.',
  state_mismatch: 'The provider answered a sign-in this browser did not start (or an older one): start again.',
  provider_error: 'The provider refused the sign-in: try again, or use another way in.',
  provider_unavailable: 'The provider could not be reached: try again later.',
  invalid_id_token: 'The provider\'s answer failed the checks (signature, issuer, audience, expiry or nonce): try again.',
  try_again: 'Something went wrong on the way back from the provider: try again.',
  verifier_missing: 'This was started in another tab or browser (the verifier stays in the tab that started it): start again here.',
};

/** The providers for the buttons (GET /api/auth/oidc/providers, anonymous; quiet): none hides the social sign-in parts. */
async function loadProviders() {
  const result = await listProviders();
  oidcProviders = result.status === 200 && Array.isArray(result.body) ? result.body : [];
  $('oidc-buttons').replaceChildren(...oidcProviders.map((provider) =>
    actionButton('oidc-signin', `Sign in with ${provider.displayName}`, () => signInWithProvider(provider))));
  $('oidc-signin').hidden = oidcProviders.length === 0;
  // The verify on load may have answered first: the panel appears now.
  showIdentities($('session').dataset.state === 'signed-in');
  return result;
}

/** Off to the provider: the client makes this sign-in's verifier and the start URL with its challenge. */
async function signInWithProvider(provider) {
  say('oidc-message', '', '');
  sessionStorage.removeItem(OIDC_LINKING_KEY);
  let url;
  try {
    url = await client.social.signInUrl(provider.name);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    say('oidc-message', 'error', `${error.title} ${error.detail ?? ''}`.trim());
    return;
  }
  say('oidc-message', 'leaving', `Continuing at ${provider.displayName}\u2026`);
  location.assign(url);
}

/**
 * Back from the provider (?code= or ?error=; the client takes them out of the address bar and the verifier out of
 * sessionStorage): a sign-in's exchange signs in (or opens the second step) and is the call shown; a link's is
 * confirmed by this page's session (status linked), and anything else is said, each after a verify that is shown.
 * Null when this load is no return.
 */
async function finishOidc() {
  const query = new URLSearchParams(location.search);
  if (!query.has('code') && !query.has('error')) return null;
  const linking = sessionStorage.getItem(OIDC_LINKING_KEY);
  sessionStorage.removeItem(OIDC_LINKING_KEY);
  const messageId = linking ? 'identity-message' : 'oidc-message';

  const result = await completeSocial();
  const status = result.status === 200 && result.body ? result.body.status : null;
  if (status === 'signed_in' || status === 'mfa_required') {
    render(result);
    return result;
  }

  const verified = await verify();
  if (status === 'linked') {
    const provider = oidcProviders.find((p) => p.name === linking);
    say('identity-message', 'changed', `Linked ${provider ? provider.displayName : linking}: it signs in to this account now.`);
  } else {
    const code = result.problem && result.problem.code;
    const known = OIDC_ERRORS[code];
    say(messageId, 'error', known
      || (result.status === null ? `The sign-in failed: ${code}.` : linking ? failure(result) : `Not signed in: ${failure(result)}`));
  }
  return verified;
}

/** The Linked providers panel: shown while signed in (when the API has providers), listed when it appears, emptied when it hides. */
function showIdentities(signedIn) {
  const form = $('identities-form');
  const shown = !form.hidden;
  form.hidden = !signedIn || oidcProviders.length === 0;
  if (!form.hidden && !shown) {
    say('oidc-message', '', '');
    renderIdentities();
  } else if (form.hidden) {
    $('identities-list').replaceChildren();
    delete $('identities-list').dataset.count;
    $('identity-link-buttons').replaceChildren();
    for (const id of ['identity-password', 'identity-code']) $(id).value = '';
    if (!signedIn) {
      $('identity-code-field').hidden = true;
      say('identity-message', '', '');
    }
  }
}

/** The signed-in user's identities, each with Unlink, and a Link button for every provider not linked yet; quiet. */
async function renderIdentities() {
  const result = await listIdentities({ quiet: true });
  if (result.status !== 200) return result;
  renderList($('identities-list'), result.body.map((identity) => ({
    kind: 'identity',
    data: { provider: identity.provider },
    name: identity.displayName,
    details: `${identity.email ? ` ${identity.email};` : ''} linked ${localTime(identity.linkedAt)}; `
      + (identity.lastUsedAt ? `last used ${localTime(identity.lastUsedAt)}` : 'not used to sign in yet'),
    button: actionButton('identity-unlink', 'Unlink', () => unlinkProvider(identity)),
  })), 'No provider linked yet.');
  const linked = new Set(result.body.map((identity) => identity.provider));
  $('identity-link-buttons').replaceChildren(...oidcProviders.filter((provider) => !linked.has(provider.name)).map((provider) =>
    actionButton('oidc-link', `Link ${provider.displayName}`, () => linkWithProvider(provider))));
  return result;
}

/**
 * Link: the re-authentication (and this tab's challenge, made by the client) gets a start URL with a single-use link
 * ticket; this tab follows it to the provider, and back here confirms the link with its verifier and session.
 */
async function linkWithProvider(provider) {
  const result = await linkProvider(provider.name, $('identity-password').value, $('identity-code').value);
  if (result.status !== 200) {
    say('identity-message', 'error', sayFieldErrorsText(result) || failure(result));
    return result;
  }

  sessionStorage.setItem(OIDC_LINKING_KEY, provider.name);
  say('identity-message', 'leaving', `Continuing at ${provider.displayName}\u2026`);
  location.assign(result.body);
  return result;
}

async function unlinkProvider(identity) {
  const result = await unlinkIdentity(identity.provider);
  if (result.status === 204) {
    say('identity-message', 'changed', `Unlinked ${identity.displayName}: it no longer signs in to this account.`);
    await renderIdentities();
  } else {
    say('identity-message', 'error', failure(result));
  }
  return result;
}

on('notes-form', 'submit', async (event) => {
  event.preventDefault();
  const added = await addNote($('note-text').value);
  if (added.status === 201) $('note-text').value = '';
  await renderNotes(await listNotes());
});

// /auth/confirm?token=…: confirming needs no typing, so it happens on load (and again on "Try again").
async function confirmFromLink(token) {
  const result = await confirmEmail(token);
  if (result.status === 200) {
    say('confirm-message', 'confirmed', `${result.body.email} is confirmed.`);
    // The answer renews the session only for the browser that holds this user's refresh cookie. Opened
    // anywhere else (another browser, the phone, or after a signup that had to wait for this link), there
    // is no session here yet: say so and offer the sign-in.
    const who = await verify({ quiet: true });
    if (who.status !== 200 || who.body.userId !== result.body.userId) {
      say('confirm-message', 'confirmed', `${result.body.email} is confirmed. Sign in to continue.`);
      $('to-login').hidden = false;
    }
  } else if (result.status === 400) {
    say('confirm-message', 'error', 'This link is invalid, expired or already used. Sign in and ask for a new one (Resend confirmation mail).');
  } else {
    say('confirm-message', 'error', failure(result));
  }
  return result;
}

// /auth/email-change?token=…: like confirm, on load; then verify says whether this browser is signed in, and as whom.
async function emailChangeFromLink(token) {
  const result = await confirmEmailChange(token);
  const code = result.status === 400 && result.body && result.body.code;
  if (result.status === 200) {
    const email = result.body.email;
    say('email-change-message', 'changed', `Your email address is now ${email}.`);
    // The answer renews the session only in the browser holding this user's refresh cookie.
    const who = await verify({ quiet: true });
    if (who.status === 200 && who.body.userId === result.body.userId) {
      say('email-change-session', 'signed-in', `Signed in as ${who.body.email}.`);
    } else {
      say('email-change-session', who.status === 200 ? 'other-account' : 'signed-out', who.status === 200
        ? `Signed in here as ${who.body.email}, another account. Sign in with ${email} to use this one.`
        : `Not signed in in this browser. Sign in with ${email} and your password.`);
      $('to-login').hidden = false;
    }
  } else if (code === 'email_taken') {
    say('email-change-message', 'error', 'Another account has taken this address since you asked: your email address has not changed.');
    $('to-demo').hidden = false;
  } else if (result.status === 400) {
    say('email-change-message', 'error', 'This link is invalid, expired or already used (a newer request, or a password change, cancels it). Ask for a new one on the demo page.');
    $('to-demo').hidden = false;
  } else {
    say('email-change-message', 'error', failure(result));
  }
  return result;
}

// /auth/reset?token=…: the token waits in memory for the new password; a policy refusal keeps the link usable.
function resetForm(token) {
  on('reset-form', 'submit', async (event) => {
    event.preventDefault();
    const result = await resetPassword(token, $('reset-password').value);
    const policy = result.status === 400 && result.body && result.body.errors && result.body.errors.newPassword;
    if (result.status === 204) {
      say('reset-message', 'reset', 'Password changed, and every session of the account has ended. Sign in with the new password.');
      $('reset-form').hidden = true;
      $('to-login').hidden = false;
    } else if (policy) {
      say('reset-message', 'error', policy.join(' '));
    } else if (result.status === 400) {
      say('reset-message', 'error', 'This link is invalid, expired or already used (a newer reset mail replaces older links). Ask for a new one.');
      $('reset-form').hidden = true;
      $('to-forgot').hidden = false;
    } else {
      say('reset-message', 'error', failure(result));
    }
  });
}

window.demo = {
  apiBase, call, stopRenewing, startRenewing, signup, login, verify, sessions, logout, logoutAll,
  listActivity, renderActivity, shortUserAgent, activityLabel,
  forgot, resend, confirmEmail, resetPassword, changeEmail, confirmEmailChange, listNotes, addNote,
  mfaVerify, mfaSetup, mfaEnable, mfaDisable, renderMfa,
  addPasskey, passkeySignIn, mfaPasskey, listPasskeys, deletePasskey, renderPasskeys,
  loadProviders, signInWithProvider, listIdentities, unlinkIdentity, linkProvider, renderIdentities,
  page, seq: 0, last: null, calls: [], exchanges: [], actions: 0, authenticatorError: null, refreshes: [],
  lastActivity: null,
  /** The client itself, for the console: demo.client.session, demo.client.nextRefreshAt... */
  get client() {
    return client;
  },
};
client = newClient();

if (page === 'confirm' || page === 'reset' || page === 'email-change') {
  const token = takeToken();
  if (!token) {
    say(`${page}-message`, 'error', 'This address has no ?token=…: open the link from the mail as it is.');
    $(`${page}-form`).hidden = true;
  } else if (page === 'reset') {
    resetForm(token);
  } else {
    // Nothing to type: the token goes on load, and again on "Try again", which is worth it only when the
    // API was not reached or said "later".
    const post = page === 'confirm' ? confirmFromLink : emailChangeFromLink;
    const postAndOfferRetry = async () => {
      const result = await post(token);
      $(`${page}-form`).hidden = result.status !== null && result.status !== 429;
    };
    on(`${page}-form`, 'submit', (event) => {
      event.preventDefault();
      postAndOfferRetry();
    });
    postAndOfferRetry();
  }
} else if (page === 'main') {
  $('page-origin').textContent = location.origin;
  renderDocumentCookie();
  apiInput.addEventListener('change', () => loadProviders());
  const providers = loadProviders();
  const query = new URLSearchParams(location.search);
  if (query.has('code') || query.has('error')) {
    // Back from a provider: the messages name it, so its display name first.
    providers.then(() => finishOidc());
  } else {
    // Show straight away whether this browser already has a session (e.g. after a reload).
    verify();
  }
}
