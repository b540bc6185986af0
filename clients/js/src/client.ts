// createAuthClient: one method per end-user route of functions/openapi.json, every request credentialed, the
// session kept by SessionKeeper (one refresh per browser, one retry after a 401), errors as AuthError.
import { AuthError, clientError, errorFromResponse } from './errors.js';
import type { paths } from './generated/openapi.js';
import { challengeFor, newVerifier, type CryptoLike } from './pkce.js';
import { isSession, SessionKeeper, type ChannelConstructor, type LockManagerLike } from './session.js';
import type {
  AcceptedResponse, ActivityEvent, ChangePasswordInput, DeleteAccountInput, EmailChangeInput, EmailConfirmedResponse,
  IdentityInfo, Linked, LinkInput, LoginInput, MfaChangeInput, MfaRequired, MfaSetupResponse, MfaStatusResponse,
  OidcProviderInfo, PasskeyCreationOptions, PasskeyCredentialJson, PasskeyInfo, PasskeyListResponse, PasskeyRegisterInput,
  PasskeyRequestOptions, PasskeySignInInput, PasswordResetInput, ReauthInput, RecoveryCodesResponse, RequestBody,
  SecondFactorInput, Session, SessionInfo, SessionListener, SessionResponse, SignInResult, SignupInput, SignupResponse,
  SocialSignInResult, SuccessBody, WebAuthnCallOptions,
} from './types.js';
import { creationOptions, credentialJson, requestOptions } from './webauthn.js';

export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
export type CredentialsLike = Pick<CredentialsContainer, 'create' | 'get'>;
export type LocationLike = Pick<Location, 'href' | 'origin' | 'pathname'>;
export type HistoryLike = Pick<History, 'replaceState' | 'state'>;

export interface AuthClientOptions {
  /** Where the API is, e.g. `https://auth.example.com` (its routes start with /api/auth); '' for this page's origin. */
  baseUrl: string;
  // What the browser provides, replaceable for tests and other hosts; `null` turns an optional one off.
  fetch?: typeof fetch;
  /** Web Locks (default `navigator.locks`); without them the refresh is shared within the page only. */
  locks?: LockManagerLike | null;
  /** Default `BroadcastChannel`; without it other tabs learn a change at their next answer from the API. */
  BroadcastChannel?: ChannelConstructor | null;
  /** Where the social sign-in's verifier waits for the return (default `sessionStorage`: this tab only). */
  storage?: StorageLike | null;
  crypto?: CryptoLike | null;
  /** Default `navigator.credentials` (passkeys). */
  credentials?: CredentialsLike | null;
  location?: LocationLike | null;
  history?: HistoryLike | null;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  now?: () => number;
  /**
   * Refresh shortly before `expiresAt` (default true). Off, a session is renewed only when a request answers 401;
   * {@link AuthClient.startAutoRefresh} and {@link AuthClient.stopAutoRefresh} switch it later (a page hidden for long, a test).
   */
  autoRefresh?: boolean;
}

export interface EmailMethods {
  /** POST /api/auth/email/confirm: the token of a confirmation link. Signed in as its user here, the session is renewed with the news. */
  confirm(token: string): Promise<EmailConfirmedResponse>;
  /** POST /api/auth/email/resend: the same answer whether or not the address has an account. */
  resend(email: string): Promise<AcceptedResponse>;
  /** POST /api/auth/email/change: mails a link to the new address. */
  change(input: EmailChangeInput): Promise<AcceptedResponse>;
  /** POST /api/auth/email/change/confirm: the token of the link the change mailed. */
  confirmChange(token: string): Promise<EmailConfirmedResponse>;
}

export interface PasswordMethods {
  /** POST /api/auth/password/forgot: the same answer whether or not the address has an account. */
  forgot(email: string): Promise<AcceptedResponse>;
  /** POST /api/auth/password/reset: ends every session of the account, this browser's too. */
  reset(input: PasswordResetInput): Promise<void>;
}

export interface MfaMethods {
  /** GET /api/auth/mfa. */
  status(): Promise<MfaStatusResponse>;
  /** POST /api/auth/mfa/totp/setup: the secret, its otpauth:// URI and QR code, shown once; not active until enableTotp. */
  setupTotp(input?: { password?: string }): Promise<MfaSetupResponse>;
  /** POST /api/auth/mfa/totp/enable: a code from the app; the 10 recovery codes, shown once. */
  enableTotp(code: string): Promise<RecoveryCodesResponse>;
  /** POST /api/auth/mfa/verify: the second step after a sign-in answered `mfa_required`. */
  verify(answer: SecondFactorInput): Promise<Session>;
  /** The second step with a passkey: POST /api/auth/mfa/passkey/options, the browser's dialog, POST /api/auth/mfa/verify. */
  verifyWithPasskey(options?: WebAuthnCallOptions): Promise<Session>;
  /** POST /api/auth/mfa/totp/disable. */
  disableTotp(input: MfaChangeInput): Promise<void>;
  /** POST /api/auth/mfa/recovery-codes: 10 new codes, shown once; the old ones stop working. */
  recoveryCodes(input: MfaChangeInput): Promise<RecoveryCodesResponse>;
}

export interface PasskeyMethods {
  /** Adds a passkey: POST /api/auth/passkeys/register/options, navigator.credentials.create(), POST /api/auth/passkeys/register. */
  register(input?: PasskeyRegisterInput): Promise<PasskeyInfo>;
  /** Signs in: POST /api/auth/passkeys/login/options, navigator.credentials.get(), POST /api/auth/passkeys/login. */
  signIn(input?: PasskeySignInInput): Promise<Session>;
  /** GET /api/auth/passkeys. */
  list(): Promise<PasskeyListResponse>;
  /** POST /api/auth/passkeys/rename. */
  rename(id: string, name: string): Promise<PasskeyInfo>;
  /** POST /api/auth/passkeys/delete. */
  delete(id: string, reauth?: ReauthInput): Promise<void>;
}

export interface SocialMethods {
  /** GET /api/auth/oidc/providers: the configured providers, for the buttons. */
  providers(): Promise<OidcProviderInfo[]>;
  /**
   * The start URL to navigate to (`location.assign(url)`): a fresh random verifier is kept in this tab's sessionStorage
   * and its base64url(SHA-256) goes along as codeChallenge. Back on returnTo, call {@link SocialMethods.complete}.
   */
  signInUrl(provider: string, options?: { returnTo?: string }): Promise<string>;
  /**
   * On the page the provider returned to: reads ?code= (or ?error=) from the URL (default this page's, then taken out of
   * the address bar), exchanges the code with this tab's verifier (POST /api/auth/oidc/exchange) and forgets the
   * verifier. null when the URL has neither; an AuthError with the `?error=` code, or `verifier_missing`.
   */
  complete(options?: { url?: string | URL; remember?: boolean }): Promise<SocialSignInResult | null>;
  /** Links a provider to the signed-in account (POST /api/auth/oidc/{provider}/link): the start URL to navigate to; complete() confirms it on return (status `linked`). */
  link(provider: string, input?: LinkInput): Promise<string>;
  /** GET /api/auth/identities. */
  identities(): Promise<IdentityInfo[]>;
  /** POST /api/auth/identities/unlink. */
  unlink(provider: string): Promise<void>;
}

type HttpMethod = 'get' | 'post';
interface CallInit<P extends keyof paths, M extends HttpMethod> {
  body?: Partial<RequestBody<P, M>>;
  /** The {provider} of the path. */
  provider?: string;
  /** A 401 refreshes the session (one refresh for everyone waiting) and, when that worked, sends the request once more. */
  retry?: boolean;
}

const VERIFIER_KEY = 'serverless-auth:oidc-verifier';
const LINKING_KEY = 'serverless-auth:oidc-link';

/** The client for one API. Create one per page (per API) and share it: the refresh coordination lives in it. */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  return new AuthClient(options);
}

export class AuthClient {
  readonly baseUrl: string;
  readonly email: EmailMethods;
  readonly password: PasswordMethods;
  readonly mfa: MfaMethods;
  readonly passkeys: PasskeyMethods;
  readonly social: SocialMethods;

  readonly #fetch: typeof fetch;
  readonly #keeper: SessionKeeper;
  readonly #storage: StorageLike | undefined;
  readonly #crypto: CryptoLike | undefined;
  readonly #credentials: CredentialsLike | undefined;
  readonly #location: LocationLike | undefined;
  readonly #history: HistoryLike | undefined;
  readonly #now: () => number;
  /** The current session's id, as the last session list marked it. */
  #currentSessionId: string | undefined;

  constructor(options: AuthClientOptions) {
    if (typeof options?.baseUrl !== 'string') throw new TypeError('createAuthClient: baseUrl is required (e.g. "https://auth.example.com").');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const browser = globalThis as typeof globalThis & { navigator?: Partial<Navigator> };
    const given = options.fetch;
    this.#fetch = given ? (input, init) => given(input, init) : (input, init) => globalThis.fetch(input, init);
    this.#storage = pick(options.storage, () => browser.sessionStorage);
    this.#crypto = pick(options.crypto, () => browser.crypto);
    this.#credentials = pick(options.credentials, () => browser.navigator?.credentials);
    this.#location = pick(options.location, () => browser.location);
    this.#history = pick(options.history, () => browser.history);
    const now = options.now ?? (() => Date.now());
    this.#now = now;
    this.#keeper = new SessionKeeper({
      name: `serverless-auth:${this.baseUrl}`,
      locks: pick(options.locks, () => browser.navigator?.locks),
      BroadcastChannel: pick(options.BroadcastChannel, () => browser.BroadcastChannel),
      refresh: async () => asSession(await this.#call('post', '/api/auth/refresh')),
      verify: async () => asSession(await this.#call('get', '/api/auth/verify')),
      setTimeout: options.setTimeout ?? ((callback, ms) => globalThis.setTimeout(callback, ms)),
      clearTimeout: options.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>)),
      now,
      autoRefresh: options.autoRefresh ?? true,
    });

    this.email = {
      confirm: (token) => this.#confirmed(this.#call('post', '/api/auth/email/confirm', { body: { token } })),
      resend: (email) => this.#call('post', '/api/auth/email/resend', { body: { email } }),
      change: (input) => this.#call('post', '/api/auth/email/change', { body: input, retry: true }),
      confirmChange: (token) => this.#confirmed(this.#call('post', '/api/auth/email/change/confirm', { body: { token } })),
    };

    this.password = {
      forgot: (email) => this.#call('post', '/api/auth/password/forgot', { body: { email } }),
      reset: async (input) => {
        await this.#call('post', '/api/auth/password/reset', { body: input });
        this.#keeper.set(null); // every session of the account ended, and this browser's cookies are cleared
      },
    };

    this.mfa = {
      status: () => this.#call('get', '/api/auth/mfa', { retry: true }),
      setupTotp: (input = {}) => this.#call('post', '/api/auth/mfa/totp/setup', { body: only(input, ['password']), retry: true }),
      enableTotp: (code) => this.#call('post', '/api/auth/mfa/totp/enable', { body: { code }, retry: true }),
      verify: async (answer) => this.#signedIn(asSession(await this.#call('post', '/api/auth/mfa/verify', { body: only(answer, ['code', 'recoveryCode']) }))),
      verifyWithPasskey: async (options = {}) => {
        this.#passkeyCapable();
        const { publicKey } = await this.#call('post', '/api/auth/mfa/passkey/options');
        const credential = await this.#getCredential(publicKey, options);
        return this.#signedIn(asSession(await this.#call('post', '/api/auth/mfa/verify', { body: { credential } })));
      },
      disableTotp: async (input) => {
        await this.#call('post', '/api/auth/mfa/totp/disable', { body: input, retry: true });
      },
      recoveryCodes: (input) => this.#call('post', '/api/auth/mfa/recovery-codes', { body: input, retry: true }),
    };

    this.passkeys = {
      register: async (input = {}) => {
        this.#passkeyCapable();
        const { publicKey } = await this.#call('post', '/api/auth/passkeys/register/options', {
          body: only(input, ['password', 'code', 'recoveryCode']), retry: true,
        });
        const credential = await this.#createCredential(publicKey, input);
        return this.#call('post', '/api/auth/passkeys/register', { body: { credential, ...only(input, ['name']) }, retry: true });
      },
      signIn: async (input = {}) => {
        this.#passkeyCapable();
        const { publicKey } = await this.#call('post', '/api/auth/passkeys/login/options');
        const credential = await this.#getCredential(publicKey, input);
        return this.#signedIn(asSession(await this.#call('post', '/api/auth/passkeys/login', { body: { credential, ...only(input, ['remember']) } })));
      },
      list: () => this.#call('get', '/api/auth/passkeys', { retry: true }),
      rename: (id, name) => this.#call('post', '/api/auth/passkeys/rename', { body: { id, name }, retry: true }),
      delete: async (id, reauth = {}) => {
        await this.#call('post', '/api/auth/passkeys/delete', { body: { id, ...only(reauth, ['password', 'code', 'recoveryCode']) }, retry: true });
      },
    };

    this.social = {
      providers: () => this.#call('get', '/api/auth/oidc/providers'),
      signInUrl: async (provider, { returnTo } = {}) => {
        const target = returnTo ?? this.#thisPage();
        const challenge = await this.#newChallenge();
        return `${this.baseUrl}/api/auth/oidc/${encodeURIComponent(provider)}/start`
          + `?returnTo=${encodeURIComponent(target)}&codeChallenge=${challenge}`;
      },
      complete: (options = {}) => this.#completeSocial(options),
      link: async (provider, input = {}) => {
        const returnTo = input.returnTo ?? this.#thisPage();
        const codeChallenge = await this.#newChallenge();
        try {
          const { url } = await this.#call('post', '/api/auth/oidc/{provider}/link', {
            provider, body: { returnTo, codeChallenge, ...only(input, ['password', 'code', 'recoveryCode']) }, retry: true,
          });
          this.#storage?.setItem(LINKING_KEY, provider);
          return url;
        } catch (error) {
          this.#storage?.removeItem(VERIFIER_KEY);
          throw error;
        }
      },
      identities: () => this.#call('get', '/api/auth/identities', { retry: true }),
      unlink: async (provider) => {
        await this.#call('post', '/api/auth/identities/unlink', { body: { provider }, retry: true });
      },
    };
  }

  /** The session as this page knows it: from the last sign-in, verify or refresh here or in another tab; null when signed out or not known yet. */
  get session(): Session | null {
    return this.#keeper.session;
  }

  /** When the scheduled refresh runs, or null when none is scheduled. */
  get nextRefreshAt(): Date | null {
    return this.#keeper.nextRefreshAt;
  }

  /** Called on every sign-in, refresh, other change and sign-out, this tab's and the other tabs'. Returns the unsubscribe. */
  onSessionChange(listener: SessionListener): () => void {
    return this.#keeper.onChange(listener);
  }

  /** POST /api/auth/signup. 201: the account, signed in (the session is learnt with a verify); 202 when the address must be confirmed first. */
  async signup(input: SignupInput): Promise<SignupResponse | AcceptedResponse> {
    const body = await this.#call('post', '/api/auth/signup', { body: input });
    if ('userId' in body) await this.#learnSession(); // the signup answer has no expiresAt
    return body;
  }

  /** POST /api/auth/login: a session, or `mfa_required` and the second step's methods (then {@link MfaMethods.verify}). */
  async login(input: LoginInput): Promise<SignInResult> {
    const result = asSignIn(await this.#call('post', '/api/auth/login', { body: input }));
    return result.status === 'signed_in' ? this.#signedIn(result) : result;
  }

  /** POST /api/auth/logout: ends this session (answers 204 without one too). */
  async logout(): Promise<void> {
    await this.#call('post', '/api/auth/logout');
    this.#keeper.set(null);
  }

  /** POST /api/auth/logout-all: ends every session of the account. */
  async logoutAll(): Promise<void> {
    await this.#call('post', '/api/auth/logout-all', { retry: true });
    this.#keeper.set(null);
  }

  /** GET /api/auth/verify: who is signed in (a 401 refreshes once, then asks again). */
  async verify(): Promise<Session> {
    return this.#signedIn(asSession(await this.#call('get', '/api/auth/verify', { retry: true })));
  }

  /** verify for a page that starts: the session, or null when this browser has none (instead of the 401). */
  async restore(): Promise<Session | null> {
    try {
      return await this.verify();
    } catch (error) {
      if (error instanceof AuthError && error.status === 401) return null;
      throw error;
    }
  }

  /** POST /api/auth/refresh, shared with every other caller in this page and the other tabs. Throws when it fails (401: signed out). */
  async refresh(): Promise<Session> {
    const outcome = await this.#keeper.refresh();
    if (outcome.session) return outcome.session;
    throw outcome.error;
  }

  /** GET /api/auth/sessions: the account's live sessions, newest first; `current` marks this one. */
  async sessions(): Promise<SessionInfo[]> {
    const sessions = await this.#call('get', '/api/auth/sessions', { retry: true });
    this.#currentSessionId = sessions.find((session) => session.current)?.sessionId;
    return sessions;
  }

  /** POST /api/auth/sessions/revoke. Ending the current session (as the last sessions() marked it) signs this page out. */
  async revokeSession(sessionId: string): Promise<void> {
    await this.#call('post', '/api/auth/sessions/revoke', { body: { sessionId }, retry: true });
    if (sessionId === this.#currentSessionId) this.#keeper.set(null);
  }

  /** POST /api/auth/password: every session ends; this browser gets a new one. */
  async changePassword(input: ChangePasswordInput): Promise<Session> {
    return this.#signedIn(asSession(await this.#call('post', '/api/auth/password', { body: input, retry: true })));
  }

  /** POST /api/auth/account/delete. */
  async deleteAccount(input: DeleteAccountInput = {}): Promise<void> {
    await this.#call('post', '/api/auth/account/delete', { body: input, retry: true });
    this.#keeper.set(null);
  }

  /** GET /api/auth/activity: the account's last security events, newest first. */
  activity(): Promise<ActivityEvent[]> {
    return this.#call('get', '/api/auth/activity', { retry: true });
  }

  /**
   * fetch for the app's own endpoints behind the same session (the Function App's own routes, e.g. /api/me/...): always
   * credentialed, and a 401 renews the session (the one shared refresh) and sends the request once more. A path starting
   * with `/` is on `baseUrl`. Resolves to the Response, whatever its status, and rejects as fetch does; the body must be
   * one that can be sent twice (a string, not a stream).
   */
  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = typeof input === 'string' && input.startsWith('/') ? this.baseUrl + input : input;
    return (await this.#sendRenewing(() => this.#fetch(url, { ...init, credentials: 'include' }))).response;
  }

  /** Refreshes shortly before expiresAt again (the default), scheduled from the session known now. */
  startAutoRefresh(): void {
    this.#keeper.setAutoRefresh(true);
  }

  /** No refresh ahead of expiresAt any more: the session is renewed when a request answers 401 (one refresh, one retry). */
  stopAutoRefresh(): void {
    this.#keeper.setAutoRefresh(false);
  }

  /** Stops the scheduled refresh, leaves the tabs' channel and drops the listeners. */
  close(): void {
    this.#keeper.close();
  }

  async #call<P extends keyof paths, M extends HttpMethod>(method: M, path: P, init: CallInit<P, M> = {}): Promise<SuccessBody<P, M>> {
    const url = this.baseUrl + (init.provider === undefined ? path : path.replace('{provider}', encodeURIComponent(init.provider)));
    const send = () => this.#send(method, url, init.body);
    const { response, refreshError } = init.retry ? await this.#sendRenewing(send) : { response: await send(), refreshError: undefined };
    // A refresh that failed otherwise than with a 401 (offline, 429, 503) is the better answer: it says why, and when to retry.
    if (refreshError && refreshError.status !== 401) throw refreshError;
    if (!response.ok) throw await errorFromResponse(response, this.#now());
    if (response.status === 204) return undefined as SuccessBody<P, M>;
    const text = await response.text();
    try {
      return (text === '' ? undefined : JSON.parse(text)) as SuccessBody<P, M>;
    } catch (error) {
      throw new AuthError({ status: response.status, code: 'invalid_response', title: 'The API answered something that is not JSON.', body: text, cause: error });
    }
  }

  /**
   * Sends; a 401 renews the session (the one shared refresh, or the state another request or tab learnt since this one
   * was sent) and, when that gave a session, sends once more. Otherwise the first answer, with the refresh's error.
   */
  async #sendRenewing(send: () => Promise<Response>): Promise<{ response: Response; refreshError: AuthError | undefined }> {
    const epoch = this.#keeper.epoch;
    const response = await send();
    if (response.status !== 401) return { response, refreshError: undefined };
    const outcome = await this.#keeper.afterUnauthorized(epoch);
    return outcome.session ? { response: await send(), refreshError: undefined } : { response, refreshError: outcome.error };
  }

  async #send(method: HttpMethod, url: string, body: unknown): Promise<Response> {
    try {
      return await this.#fetch(url, {
        method: method.toUpperCase(),
        credentials: 'include',
        // JSON only when there is a body: a GET without custom headers needs no CORS preflight.
        ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw clientError('network_error', 'The API could not be reached.',
        `${method.toUpperCase()} ${url} failed: offline, the API is down, or a CORS refusal (the browser does not say which).`, error);
    }
  }

  #signedIn(session: Session): Session {
    this.#keeper.set(session);
    return session;
  }

  /** verify once, quietly: the expiry after a signup, the news after a confirmed address; a failure leaves things as they were. */
  async #learnSession(): Promise<void> {
    try {
      this.#keeper.set(asSession(await this.#call('get', '/api/auth/verify')));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
    }
  }

  /** A confirmed address renews this browser's session when it belongs to the same user: learn the new one. */
  async #confirmed(answer: Promise<EmailConfirmedResponse>): Promise<EmailConfirmedResponse> {
    const result = await answer;
    if (this.#keeper.session?.userId === result.userId) await this.#learnSession();
    return result;
  }

  async #completeSocial(options: { url?: string | URL; remember?: boolean }): Promise<SocialSignInResult | null> {
    const href = options.url === undefined ? this.#location?.href : String(options.url);
    if (href === undefined) throw clientError('unsupported', 'No URL to read the social sign-in\'s return from.', 'Pass options.url outside a browser page.');
    const url = new URL(href);
    const code = url.searchParams.get('code');
    const error = url.searchParams.get('error');
    if (code === null && error === null) return null;

    // Single use: the verifier leaves storage and the code the address bar (a reload must not send a spent code again).
    const verifier = this.#storage?.getItem(VERIFIER_KEY) ?? null;
    const linking = this.#storage?.getItem(LINKING_KEY) ?? null;
    this.#storage?.removeItem(VERIFIER_KEY);
    this.#storage?.removeItem(LINKING_KEY);
    if (options.url === undefined && this.#history) {
      url.searchParams.delete('code');
      url.searchParams.delete('error');
      this.#history.replaceState(this.#history.state, '', url.pathname + url.search + url.hash);
    }

    if (error !== null) {
      throw new AuthError({ status: 0, code: error, title: 'The social sign-in failed.', detail: `The provider's return said error=${error}.` });
    }
    if (verifier === null) {
      throw clientError('verifier_missing', 'This tab did not start this social sign-in.',
        'The verifier stays in the tab that started it (sessionStorage): start again here.');
    }
    if (linking !== null) {
      // A link is confirmed by this session's access token, which may have expired while the user was at the provider.
      try {
        await this.verify();
      } catch (failure) {
        if (!(failure instanceof AuthError)) throw failure;
      }
    }
    const result = asSocial(await this.#call('post', '/api/auth/oidc/exchange', {
      body: { code: code ?? '', codeVerifier: verifier, ...only(options, ['remember']) },
    }));
    return result.status === 'signed_in' ? this.#signedIn(result) : result;
  }

  /** A fresh verifier in this tab's storage (any earlier one is replaced), and its S256 challenge. */
  async #newChallenge(): Promise<string> {
    const crypto = this.#crypto;
    if (!crypto?.subtle || typeof crypto.getRandomValues !== 'function') {
      throw clientError('unsupported', 'This page cannot make the social sign-in\'s verifier.',
        'It needs crypto.subtle: a secure context (https, or http on localhost).');
    }
    if (!this.#storage) throw clientError('unsupported', 'No sessionStorage to keep the social sign-in\'s verifier in.');
    const verifier = newVerifier(crypto);
    this.#storage.setItem(VERIFIER_KEY, verifier);
    this.#storage.removeItem(LINKING_KEY);
    return challengeFor(verifier, crypto);
  }

  /** Where the provider sends this tab back by default: this page without its query and fragment. */
  #thisPage(): string {
    if (!this.#location) throw clientError('unsupported', 'No page to return to.', 'Pass returnTo outside a browser page.');
    return this.#location.origin + this.#location.pathname;
  }

  async #createCredential(publicKey: PasskeyCreationOptions, options: WebAuthnCallOptions): Promise<PasskeyCredentialJson> {
    const credentials = this.#passkeyCapable();
    let credential: Credential | null;
    try {
      credential = await credentials.create({ publicKey: creationOptions(publicKey), ...only(options, ['signal']) });
    } catch (error) {
      throw authenticatorError(error);
    }
    return credentialJson(expectPublicKey(credential));
  }

  async #getCredential(publicKey: PasskeyRequestOptions, options: WebAuthnCallOptions & { mediation?: CredentialMediationRequirement }): Promise<PasskeyCredentialJson> {
    const credentials = this.#passkeyCapable();
    let credential: Credential | null;
    try {
      credential = await credentials.get({ publicKey: requestOptions(publicKey), ...only(options, ['signal', 'mediation']) });
    } catch (error) {
      throw authenticatorError(error);
    }
    return credentialJson(expectPublicKey(credential));
  }

  /** navigator.credentials, checked before the options are asked for (each sets a challenge cookie). */
  #passkeyCapable(): CredentialsLike {
    if (!this.#credentials) {
      throw clientError('unsupported', 'This browser cannot use passkeys here.',
        'It needs navigator.credentials in a secure context (https, or http on localhost).');
    }
    return this.#credentials;
  }
}

function authenticatorError(error: unknown): AuthError {
  const name = error instanceof Error ? error.name : 'Error';
  const reason = name === 'NotAllowedError'
    ? 'The passkey dialog was cancelled or timed out, or this device has no passkey for this site.'
    : `${name}: ${error instanceof Error ? error.message : String(error)}`;
  return clientError('authenticator_error', 'The browser gave no passkey.', reason, error);
}

function expectPublicKey(credential: Credential | null): PublicKeyCredential {
  if (!credential || credential.type !== 'public-key') throw authenticatorError(new Error('The browser returned no public-key credential.'));
  return credential as PublicKeyCredential;
}

function asSession(body: SessionResponse): Session {
  if (!isSession(body)) {
    throw new AuthError({ status: 0, code: 'invalid_response', title: 'The API answered without a session.', body });
  }
  return body;
}

function asSignIn(body: SessionResponse): SignInResult {
  return body.status === 'mfa_required' ? (body as MfaRequired) : asSession(body);
}

function asSocial(body: SessionResponse): SocialSignInResult {
  return body.status === 'linked' ? (body as Linked) : asSignIn(body);
}

/** An option given (null: off) or the browser's own. */
function pick<T>(given: T | null | undefined, browser: () => T | undefined): T | undefined {
  if (given === null) return undefined;
  return given ?? browser();
}

/** The keys of an input that are set: request bodies carry no undefined (and nothing else from the input). */
function only<T extends object, K extends keyof T>(input: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) if (input[key] !== undefined) picked[key] = input[key];
  return picked;
}
