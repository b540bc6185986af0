// Demo frontend for the auth API: plain fetch with credentials, no build step.
// Everything the page does is also on window.demo, for the browser console and the end-to-end tests.
'use strict';

const $ = (id) => document.getElementById(id);

const DEFAULT_API = 'http://localhost:7071';
const apiInput = $('api');
const fromQuery = new URLSearchParams(location.search).get('api');
apiInput.value = fromQuery || apiInput.value || DEFAULT_API;

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
 */
async function call(method, path, payload, { retry = false, learnExpiry = false } = {}) {
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
  render(result);
  return result;
}

const signup = (email, password) => call('POST', '/api/auth/signup', { email, password }, { learnExpiry: true });
const login = (email, password) => call('POST', '/api/auth/login', { email, password });
const verify = () => call('GET', '/api/auth/verify', undefined, { retry: true });
const sessions = () => call('GET', '/api/auth/sessions', undefined, { retry: true });
const logout = () => call('POST', '/api/auth/logout');
const logoutAll = () => call('POST', '/api/auth/logout-all', undefined, { retry: true });

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
  renderSession(result);
  renderDocumentCookie();
}

function show(state, text) {
  const session = $('session');
  session.dataset.state = state;
  session.textContent = text;
}

function showSignedIn(body) {
  const until = body && body.expiresAt ? ` until ${new Date(body.expiresAt).toLocaleTimeString()}` : '';
  show('signed-in', `Signed in as ${body && body.email}${until}.`);
}

function renderSession(result) {
  const path = result.request.split(' ')[1];
  const ended = path === '/api/auth/logout' || path === '/api/auth/logout-all';
  const needsSession = path === '/api/auth/verify' || path === '/api/auth/sessions' || path === '/api/auth/logout-all';

  if (result.status === null) {
    show('error', `Cannot reach ${apiBase()} from this origin: ${result.error}. Is the API running, and is ${location.origin} in its Host.CORS list?`);
  } else if ((result.status === 200 || result.status === 201) && !ended && path !== '/api/auth/sessions') {
    showSignedIn(result.body);
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
  if (!window.demo) return;
  $('refresh-count').textContent = String(window.demo.refreshes.filter((r) => r.status === 200).length);
  $('refresh-next').textContent = window.demo.nextRefreshAt
    ? `; next at ${new Date(window.demo.nextRefreshAt).toLocaleTimeString()}`
    : '';
}

function renderDocumentCookie() {
  $('document-cookie').textContent = document.cookie === '' ? '(empty: both session cookies are HttpOnly)' : document.cookie;
}

$('signup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  signup($('signup-email').value, $('signup-password').value);
});

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  login($('login-email').value, $('login-password').value);
});

$('verify').addEventListener('click', () => verify());
$('sessions').addEventListener('click', () => sessions());
$('logout').addEventListener('click', () => logout());
$('logout-all').addEventListener('click', () => logoutAll());

$('page-origin').textContent = location.origin;
renderDocumentCookie();

window.demo = {
  apiBase, call, refreshSession, stopRenewing, signup, login, verify, sessions, logout, logoutAll,
  seq: 0, last: null, refreshes: [], nextRefreshAt: null,
};

// Show straight away whether this browser already has a session (e.g. after a reload).
verify();
