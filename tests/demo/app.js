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

function apiBase() {
  return apiInput.value.trim().replace(/\/+$/, '');
}

/** One API call. Resolves to { status, body } or, when fetch rejects (network or CORS), { status: null, error }. */
async function call(method, path, payload) {
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  const request = `${method} ${path}`;
  let result;
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
    result = { request, status: response.status, statusText: response.statusText, body: parsed };
  } catch (error) {
    // A CORS refusal is indistinguishable from a network failure on purpose: a TypeError, no details.
    result = { request, status: null, error: `${error.name}: ${error.message}` };
  }
  render(result);
  return result;
}

const signup = (email, password) => call('POST', '/api/auth/signup', { email, password });
const login = (email, password) => call('POST', '/api/auth/login', { email, password });
const verify = () => call('GET', '/api/auth/verify');
const logout = () => call('POST', '/api/auth/logout');

function render(result) {
  seq += 1;
  const status = $('result-status');
  $('result-request').textContent = `${result.request} (${apiBase()})`;
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

function renderSession(result) {
  const session = $('session');
  const path = result.request.split(' ')[1];
  const show = (state, text) => {
    session.dataset.state = state;
    session.textContent = text;
  };

  if (result.status === null) {
    show('error', `Cannot reach ${apiBase()} from this origin: ${result.error}. Is the API running, and is ${location.origin} in its Host.CORS list?`);
  } else if ((result.status === 200 || result.status === 201) && path !== '/api/auth/logout') {
    const until = result.body && result.body.expiresAt ? ` until ${new Date(result.body.expiresAt).toLocaleTimeString()}` : '';
    show('signed-in', `Signed in as ${result.body && result.body.email}${until}.`);
    if (path !== '/api/auth/verify') expectSession = true;
  } else if (path === '/api/auth/logout' && result.status === 204) {
    expectSession = false;
    show('signed-out', 'Logged out. The cookie is cleared and the token is revoked on the server.');
  } else if (path === '/api/auth/verify' && result.status === 401) {
    if (expectSession) {
      show('cookie-blocked', 'Login succeeded, but verify answers 401: the browser did not store or did not send the cookie. '
        + 'Cross-site (page and API on different sites) needs SameSite=None; Secure; Partitioned. See the README, "My cookie isn\'t stored / isn\'t sent".');
    } else {
      show('signed-out', 'Not signed in.');
    }
  }
}

function renderDocumentCookie() {
  $('document-cookie').textContent = document.cookie === '' ? '(empty: the auth cookie is HttpOnly)' : document.cookie;
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
$('logout').addEventListener('click', () => logout());

$('page-origin').textContent = location.origin;
renderDocumentCookie();

window.demo = { apiBase, call, signup, login, verify, logout, seq: 0, last: null };

// Show straight away whether this browser already has a session (e.g. after a reload).
verify();
