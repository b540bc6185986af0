// Demo frontend for the auth API: plain fetch with credentials, no build step.
// Everything the page does is also on window.demo, for the browser console and the end-to-end tests.
// One script for every page: the demo page (index.html) and the pages the mails link to
// (auth/confirm, auth/reset, auth/forgot, auth/email-change), told apart by <body data-page>.
'use strict';

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
apiInput.addEventListener('change', () => localStorage.setItem(API_KEY, apiInput.value));

let seq = 0;
// True between a successful signup/login and the next logout: a 401 from verify then means the
// browser dropped the cookie (or never sent it), which is the problem this demo exists to show.
let expectSession = false;
// True once verify or refresh succeeded in this page: the cookies demonstrably work, so a later 401
// means the session ended (logged out elsewhere, expired), not that the browser dropped a cookie.
let sessionSeen = false;
// The one refresh in flight: every call that gets a 401 meanwhile waits for it instead of starting its own.
let refreshing = null;
let refreshTimer = null;
// The address "Resend confirmation mail" asks for: the session's, or the one a 403 email_not_confirmed login used.
let resendEmail = null;

function apiBase() {
  return apiInput.value.trim().replace(/\/+$/, '');
}

/** One request. Resolves to { status, body } or, when fetch rejects (network or CORS), { status: null, error }. */
async function send(method, path, payload) {
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  const request = `${method} ${path}`;
  try {
    const response = await fetch(apiBase() + path, {
      method,
      credentials: 'include',
      // JSON only when there is a body: a GET without custom headers needs no CORS preflight.
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body,
    });
    const text = await response.text();
    let parsed = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { request, status: response.status, statusText: response.statusText, body: parsed };
  } catch (error) {
    // A CORS refusal is indistinguishable from a network failure on purpose: a TypeError, no details.
    return { request, status: null, error: `${error.name}: ${error.message}` };
  }
}

/**
 * POST /api/auth/refresh: trades the refresh cookie (sent only to /api/auth) for fresh cookies.
 * At most one at a time: parallel callers all get the same promise.
 */
function refreshSession() {
  if (!refreshing) {
    refreshing = send('POST', '/api/auth/refresh')
      .then((result) => {
        window.demo.refreshes.push({ at: new Date().toISOString(), status: result.status });
        if (result.status === 200) {
          sessionSeen = true;
          showSignedIn(result.body);
          scheduleRefresh(result.body.expiresAt);
        } else {
          stopRenewing();
        }
        return result;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

/** Renew shortly before the access token expires: a minute early, or a quarter of a short lifetime early. */
function scheduleRefresh(expiresAt) {
  stopRenewing();
  const left = new Date(expiresAt).getTime() - Date.now();
  if (!(left > 0)) {
    return; // no expiry, or a clock far off the server's: the next 401 refreshes instead
  }
  const delay = left - Math.min(60_000, left / 4);
  refreshTimer = setTimeout(renewInBackground, delay);
  window.demo.nextRefreshAt = new Date(Date.now() + delay).toISOString();
  renderRefresh();
}

async function renewInBackground() {
  const result = await refreshSession();
  if (result.status === 401) {
    sessionEnded('Session ended: refresh answered 401 (logged out everywhere, or the session expired). Log in again.');
  }
}

function stopRenewing() {
  clearTimeout(refreshTimer);
  refreshTimer = null;
  window.demo.nextRefreshAt = null;
  renderRefresh();
}

function sessionEnded(text) {
  stopRenewing();
  expectSession = false;
  sessionSeen = false;
  show('signed-out', text);
}

/**
 * One API call, shown in "Last response". With retry, a 401 triggers one refresh (shared with any
 * other call waiting for one) and, when that succeeds, one retry: the caller sees the retry's answer.
 * Quiet calls are not shown in "Last response" (nor change the session line).
 */
async function call(method, path, payload, { retry = false, learnExpiry = false, quiet = false } = {}) {
  let result = await send(method, path, payload);
  if (retry && result.status === 401) {
    const refreshed = await refreshSession();
    result = refreshed.status === 200 ? await send(method, path, payload) : result;
    result.refreshed = refreshed.status;
  }
  if (learnExpiry && result.status === 201) {
    // The signup answer has no expiresAt: ask verify (quietly) when to renew.
    const who = await send('GET', '/api/auth/verify');
    if (who.status === 200) result.expiresAt = who.body.expiresAt;
  }
  // Quiet: a panel filling itself in; "Last response" keeps the call the user made.
  if (!quiet) render(result);
  return result;
}

const signup = (email, password) => call('POST', '/api/auth/signup', { email, password }, { learnExpiry: true });
const login = (email, password) => call('POST', '/api/auth/login', { email, password });
const verify = () => call('GET', '/api/auth/verify', undefined, { retry: true });
const sessions = () => call('GET', '/api/auth/sessions', undefined, { retry: true });
// The account's last 50 security events, newest first (quiet: when the Recent activity panel fills itself in).
const listActivity = ({ quiet = false } = {}) => call('GET', '/api/auth/activity', undefined, { retry: true, quiet });
const logout = () => call('POST', '/api/auth/logout');
const logoutAll = () => call('POST', '/api/auth/logout-all', undefined, { retry: true });
// Email flows: each answers the same whatever the address, so the page cannot say more than the API does.
const forgot = (email) => call('POST', '/api/auth/password/forgot', { email });
const resend = (email) => call('POST', '/api/auth/email/resend', { email });
const confirmEmail = (token) => call('POST', '/api/auth/email/confirm', { token });
const resetPassword = (token, newPassword) => call('POST', '/api/auth/password/reset', { token, newPassword });
// Changing the address: the first call only mails a link to the new address; the link's page confirms it.
const changeEmail = (newEmail, password) => call('POST', '/api/auth/email/change', { newEmail, password }, { retry: true });
const confirmEmailChange = (token) => call('POST', '/api/auth/email/change/confirm', { token });
// The sample protected API: the app's own endpoints, behind the same session (a 401 refreshes once, like verify).
const listNotes = () => call('GET', '/api/me/notes', undefined, { retry: true });
const addNote = (text) => call('POST', '/api/me/notes', { text }, { retry: true });
// Two-factor sign-in: the second step after a login that answered mfa_required, and the signed-in user's factor.
const mfaVerify = (answer) => call('POST', '/api/auth/mfa/verify', answer);
const mfaSetup = (password) => call('POST', '/api/auth/mfa/totp/setup', { password }, { retry: true });
const mfaEnable = (code) => call('POST', '/api/auth/mfa/totp/enable', { code }, { retry: true });
const mfaDisable = (password, code) => call('POST', '/api/auth/mfa/totp/disable', { password, ...secondFactorAnswer(code) }, { retry: true });
// Passkeys: options in WebAuthn's JSON form for the browser, its answer back as toJSON() makes it. The challenge travels
// in an HttpOnly cookie (auth-webauthn) from the options to the answer. Adding and deleting take the password (and a
// code with TOTP on), left out when empty: within the step-up window the API needs neither.
const passkeyRegisterOptions = (password, code) =>
  call('POST', '/api/auth/passkeys/register/options', { password: password || undefined, ...secondFactorAnswer(code) }, { retry: true });
const passkeyRegister = (credential, name) => call('POST', '/api/auth/passkeys/register', { credential, name: name || undefined }, { retry: true });
const passkeyLoginOptions = () => call('POST', '/api/auth/passkeys/login/options');
const passkeyLogin = (credential) => call('POST', '/api/auth/passkeys/login', { credential });
const mfaPasskeyOptions = () => call('POST', '/api/auth/mfa/passkey/options');
const listPasskeys = () => call('GET', '/api/auth/passkeys', undefined, { retry: true });
const deletePasskey = (id, password, code) =>
  call('POST', '/api/auth/passkeys/delete', { id, password: password || undefined, ...secondFactorAnswer(code) }, { retry: true });
// Social sign-in (OpenID Connect): the start and the provider are navigations of this tab; the session comes from the
// exchange, a credentialed fetch like login's, so its cookies land where this page's requests find them (cross-site too).
const oidcExchange = (code, codeVerifier) => call('POST', '/api/auth/oidc/exchange', { code, codeVerifier });
const listIdentities = () => call('GET', '/api/auth/identities', undefined, { retry: true });
const unlinkIdentity = (provider) => call('POST', '/api/auth/identities/unlink', { provider }, { retry: true });
const linkProvider = (provider, returnTo, codeChallenge, password, code) =>
  call('POST', `/api/auth/oidc/${encodeURIComponent(provider)}/link`, { returnTo, codeChallenge, password: password || undefined, ...secondFactorAnswer(code) }, { retry: true });

/** What a code box holds, as the API takes it: digits are an app's code, anything else a recovery code (xxxxx-xxxxx); empty: none. */
function secondFactorAnswer(text) {
  const value = (text || '').trim();
  if (value === '') return {};
  return /^[0-9 ]+$/.test(value) ? { code: value.replaceAll(' ', '') } : { recoveryCode: value };
}

function render(result) {
  seq += 1;
  const status = $('result-status');
  const retried = result.refreshed === undefined ? '' : `, after one POST /api/auth/refresh \u2192 ${result.refreshed ?? 'failed'}`;
  $('result-request').textContent = `${result.request} (${apiBase()}${retried})`;
  if (result.status === null) {
    status.textContent = `fetch failed: ${result.error}`;
    status.dataset.status = 'error';
    $('result-body').textContent = 'The browser refused to hand this response to the page (network error, or CORS does not allow this origin).';
  } else {
    status.textContent = `${result.status} ${result.statusText}`.trim();
    status.dataset.status = String(result.status);
    $('result-body').textContent = result.body === null ? '(empty body)' : JSON.stringify(result.body, null, 2);
  }
  status.dataset.seq = String(seq);
  window.demo.seq = seq;
  window.demo.last = result;
  window.demo.calls.push(result);
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
  const until = body && body.expiresAt ? ` until ${new Date(body.expiresAt).toLocaleTimeString()}` : '';
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

  if (result.status === null) {
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
    stopRenewing();
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
    const expiresAt = (result.body && result.body.expiresAt) || result.expiresAt;
    if (expiresAt) scheduleRefresh(expiresAt);
  } else if (ended && result.status === 204) {
    sessionEnded(path === '/api/auth/logout'
      ? 'Logged out. The cookie is cleared and the token is revoked on the server.'
      : 'Logged out everywhere: every session of this account has ended, in every browser.');
  } else if (needsSession && result.status === 401) {
    // Only after the one refresh this 401 triggered failed too.
    if (sessionSeen) {
      sessionEnded('Session ended: the access token and the refresh both answered 401 (logged out everywhere, or the session expired). Log in again.');
    } else if (expectSession) {
      stopRenewing();
      show('cookie-blocked', 'Login succeeded, but verify answers 401: the browser did not store or did not send the cookie. '
        + 'Cross-site (page and API on different sites) needs SameSite=None; Secure; Partitioned. See the README, "My cookie isn\'t stored / isn\'t sent".');
    } else {
      sessionEnded('Not signed in.');
    }
  }
}

function renderRefresh() {
  if (!window.demo || !$('refresh-count')) return;
  $('refresh-count').textContent = String(window.demo.refreshes.filter((r) => r.status === 200).length);
  $('refresh-next').textContent = window.demo.nextRefreshAt
    ? `; next at ${new Date(window.demo.nextRefreshAt).toLocaleTimeString()}`
    : '';
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

// The second step with a passkey: options limited to this account's passkeys (the pending cookie says which), the
// browser's dialog, then the answer to the same POST /api/auth/mfa/verify as a code.
on('mfa-step-passkey', 'click', passkeyAction(async () => {
  const options = await mfaPasskeyOptions();
  if (options.status !== 200) {
    secondStepAnswered(options);
    return;
  }

  const answer = await askAuthenticator('get', options.body.publicKey);
  if (answer.error) {
    say('mfa-step-error', 'error', answer.error);
  } else {
    secondStepAnswered(await mfaVerify({ credential: answer.credential }));
  }
}));

/** The signed-in user's factor, as GET /api/auth/mfa says (never a secret); quiet: not shown in "Last response". */
async function renderMfa() {
  const result = await send('GET', '/api/auth/mfa');
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
 * WebAuthn's JSON forms, built into current browsers (Chromium since 129, Firefox since 119): the API's options go
 * straight to parse*OptionsFromJSON, and the credential's toJSON() straight back. No base64url conversion here.
 */
function webAuthnJsonSupported() {
  return typeof PublicKeyCredential === 'function'
    && typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function'
    && typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function'
    && typeof PublicKeyCredential.prototype.toJSON === 'function';
}

/**
 * The browser's passkey dialog: 'create' (options of register/options) or 'get' (sign-in options). Resolves to
 * { credential } as toJSON() makes it, or { error } in words when the browser refused or the user cancelled; the
 * DOMException's name stays in demo.authenticatorError.
 */
async function askAuthenticator(kind, publicKey) {
  window.demo.authenticatorError = null;
  if (!window.isSecureContext || !webAuthnJsonSupported()) {
    window.demo.authenticatorError = 'NotSupported';
    return { error: 'This browser cannot use passkeys here: it needs a secure context (https, or http on localhost) and WebAuthn\'s JSON methods (a current Chrome, Edge, Firefox or Safari).' };
  }

  try {
    const credential = kind === 'create'
      ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(publicKey) })
      : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(publicKey) });
    return { credential: credential.toJSON() };
  } catch (error) {
    window.demo.authenticatorError = error.name;
    return { error: authenticatorFailure(error, (publicKey.rp && publicKey.rp.id) || publicKey.rpId) };
  }
}

/** Why the browser gave no passkey, in words. */
function authenticatorFailure(error, rpId) {
  switch (error.name) {
    case 'NotAllowedError':
      return 'No passkey: the browser\'s dialog was cancelled or timed out, or this device has no passkey for this site.';
    case 'InvalidStateError':
      return 'This device already holds a passkey for this account.';
    case 'SecurityError':
      return `This page (${location.hostname}) cannot use passkeys for ${rpId}: open it on ${rpId} or a subdomain of it (Auth__Passkeys__RpId).`;
    default:
      return `The browser gave no passkey: ${error.name}: ${error.message}`;
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
  const result = await send('GET', '/api/auth/passkeys');
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

// Add: options (with the re-authentication), the browser's dialog, its answer with the name.
on('passkeys-form', 'submit', passkeyAction(async () => {
  const options = await passkeyRegisterOptions($('passkey-password').value, $('passkey-code').value);
  if (options.status !== 200) {
    say('passkey-message', 'error', sayFieldErrorsText(options) || failure(options));
    return;
  }

  say('passkey-message', 'asking', 'Follow the browser\'s dialog to create the passkey.');
  const answer = await askAuthenticator('create', options.body.publicKey);
  if (answer.error) {
    say('passkey-message', 'error', answer.error);
    return;
  }

  const added = await passkeyRegister(answer.credential, $('passkey-name').value.trim());
  if (added.status === 200) {
    await passkeyChanged(`Added "${added.body.name}". Log out and try "Sign in with a passkey".`);
  } else {
    say('passkey-message', 'error', sayFieldErrorsText(added) || failure(added));
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
  const options = await passkeyLoginOptions();
  const answer = options.status === 200 ? await askAuthenticator('get', options.body.publicKey) : { error: failure(options) };
  if (answer.error) {
    say('passkey-login-message', 'error', answer.error);
    return;
  }

  const result = await passkeyLogin(answer.credential);
  if (result.status !== 200) say('passkey-login-message', 'error', failure(result));
}));

// Social sign-in. The frontend's part: a random verifier kept in this tab's sessionStorage, its SHA-256 (base64url) as the
// start's codeChallenge, then the navigation; back on this page, ?code= is exchanged with the verifier (the code is
// useless without it): a sign-in's starts the session, a link's is confirmed by this page's own session (status linked);
// ?error= says what went wrong.
const OIDC_VERIFIER_KEY = 'demo.oidc.verifier';
// Set while a link (not a sign-in) is at the provider: its ?error= belongs to the Linked providers panel.
const OIDC_LINKING_KEY = 'demo.oidc.linking';
let oidcProviders = [];

/** What the callback's ?error= codes mean for the user (the API's list: OidcEndpoints.Callback). */
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
};

/** Where the API sends this tab back: this page, without its query (which carried ?api= or the last return's code). */
function returnUrl() {
  return location.origin + location.pathname;
}

function base64Url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** The providers for the buttons (GET /api/auth/oidc/providers, anonymous; quiet): none hides the social sign-in parts. */
async function loadProviders() {
  const result = await send('GET', '/api/auth/oidc/providers');
  oidcProviders = result.status === 200 && Array.isArray(result.body) ? result.body : [];
  $('oidc-buttons').replaceChildren(...oidcProviders.map((provider) =>
    actionButton('oidc-signin', `Sign in with ${provider.displayName}`, () => signInWithProvider(provider))));
  $('oidc-signin').hidden = oidcProviders.length === 0;
  // The verify on load may have answered first: the panel appears now.
  showIdentities($('session').dataset.state === 'signed-in');
  return result;
}

/** A fresh verifier kept in this tab's sessionStorage, and its challenge; null where crypto.subtle is missing (said on <paramref name="messageId"/>). */
async function newOidcChallenge(messageId) {
  if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
    say(messageId, 'error', 'This page cannot make the sign-in\'s verifier: it needs a secure context (https, or http on localhost) for crypto.subtle.');
    return null;
  }
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32))); // 43 characters
  sessionStorage.setItem(OIDC_VERIFIER_KEY, verifier);
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** Off to the provider: a fresh verifier for this sign-in, its challenge in the start URL. */
async function signInWithProvider(provider) {
  say('oidc-message', '', '');
  const challenge = await newOidcChallenge('oidc-message');
  if (!challenge) return;
  sessionStorage.removeItem(OIDC_LINKING_KEY);
  say('oidc-message', 'leaving', `Continuing at ${provider.displayName}\u2026`);
  location.assign(`${apiBase()}/api/auth/oidc/${encodeURIComponent(provider.name)}/start`
    + `?returnTo=${encodeURIComponent(returnUrl())}&codeChallenge=${challenge}`);
}

/**
 * The provider's return (?code=, ?error=), or null: taken out of the address bar and the history at once (a
 * reload must not send a spent code again), and the verifier out of sessionStorage with it (single use).
 */
function takeOidcReturn() {
  const query = new URLSearchParams(location.search);
  const back = { code: query.get('code'), error: query.get('error') };
  if (!back.code && !back.error) return null;
  back.verifier = sessionStorage.getItem(OIDC_VERIFIER_KEY);
  back.linking = sessionStorage.getItem(OIDC_LINKING_KEY);
  sessionStorage.removeItem(OIDC_VERIFIER_KEY);
  sessionStorage.removeItem(OIDC_LINKING_KEY);
  history.replaceState(null, '', location.pathname);
  return back;
}

/**
 * Back from the provider: the exchange signs in (or opens the second step), or, for a link, this page's session confirms
 * it (status linked); anything else is said after a verify.
 */
async function finishOidc(back) {
  const messageId = back.linking ? 'identity-message' : 'oidc-message';
  if (back.code && back.verifier) {
    const result = await oidcExchange(back.code, back.verifier);
    if (result.status === 200 && result.body.status !== 'linked') return result;
    const verified = await verify();
    if (result.status === 200) {
      const provider = oidcProviders.find((p) => p.name === back.linking);
      say('identity-message', 'changed', `Linked ${provider ? provider.displayName : back.linking}: it signs in to this account now.`);
      return verified;
    }
    say(messageId, 'error', back.linking ? OIDC_ERRORS[result.body && result.body.code] || failure(result) : `Not signed in: ${failure(result)}`);
    return result;
  }

  const result = await verify();
  if (back.code) {
    say(messageId, 'error', 'This was started in another tab or browser (the verifier stays in the tab that started it): start again here.');
  } else {
    say(messageId, 'error', OIDC_ERRORS[back.error] || `The sign-in failed: ${back.error}.`);
  }
  return result;
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
  const result = await send('GET', '/api/auth/identities');
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
 * Link: the re-authentication (and this tab's challenge) gets a start URL with a single-use link ticket; this tab follows
 * it to the provider, and back here confirms the link with its verifier and session.
 */
async function linkWithProvider(provider) {
  const challenge = await newOidcChallenge('identity-message');
  if (!challenge) return null;
  const result = await linkProvider(provider.name, returnUrl(), challenge, $('identity-password').value, $('identity-code').value);
  if (result.status !== 200) {
    sessionStorage.removeItem(OIDC_VERIFIER_KEY);
    say('identity-message', 'error', sayFieldErrorsText(result) || failure(result));
    return result;
  }

  sessionStorage.setItem(OIDC_LINKING_KEY, provider.name);
  say('identity-message', 'leaving', `Continuing at ${provider.displayName}\u2026`);
  location.assign(result.body.url);
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
    const who = await send('GET', '/api/auth/verify');
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
    const who = await send('GET', '/api/auth/verify');
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
  apiBase, call, refreshSession, stopRenewing, signup, login, verify, sessions, logout, logoutAll,
  listActivity, renderActivity, shortUserAgent, activityLabel,
  forgot, resend, confirmEmail, resetPassword, changeEmail, confirmEmailChange,
  mfaVerify, mfaSetup, mfaEnable, mfaDisable, renderMfa,
  passkeyRegisterOptions, passkeyRegister, passkeyLoginOptions, passkeyLogin, mfaPasskeyOptions, listPasskeys, deletePasskey, renderPasskeys,
  webAuthnJsonSupported,
  loadProviders, signInWithProvider, oidcExchange, listIdentities, unlinkIdentity, linkProvider, renderIdentities,
  page, seq: 0, last: null, calls: [], actions: 0, authenticatorError: null, refreshes: [], nextRefreshAt: null, lastActivity: null,
};

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
  const back = takeOidcReturn();
  if (back) {
    // Back from a provider: the messages name it, so its display name first.
    providers.then(() => finishOidc(back));
  } else {
    // Show straight away whether this browser already has a session (e.g. after a reload).
    verify();
  }
}
