// The client's public types, built on the ones generated from functions/openapi.json (src/generated/openapi.ts).
import type { components, paths } from './generated/openapi.js';

type Schemas = components['schemas'];

export type SessionResponse = Schemas['SessionResponse'];
export type SignupResponse = Schemas['SignupResponse'];
export type AcceptedResponse = Schemas['AcceptedResponse'];
export type SessionInfo = Schemas['SessionInfo'];
export type EmailConfirmedResponse = Schemas['EmailConfirmedResponse'];
export type MfaStatusResponse = Schemas['MfaStatusResponse'];
export type MfaSetupResponse = Schemas['MfaSetupResponse'];
export type RecoveryCodesResponse = Schemas['RecoveryCodesResponse'];
export type PasskeyInfo = Schemas['PasskeyInfo'];
export type PasskeyListResponse = Schemas['PasskeyListResponse'];
export type PasskeyCreationOptions = Schemas['PasskeyCreationOptions'];
export type PasskeyRequestOptions = Schemas['PasskeyRequestOptions'];
export type OidcProviderInfo = Schemas['OidcProviderInfo'];
export type IdentityInfo = Schemas['IdentityInfo'];
export type ActivityEvent = Schemas['ActivityEvent'];
export type ProblemDetails = Schemas['HttpValidationProblemDetails'];

/** A signed-in session, as sign-ins, verify and refresh answer it (`status: "signed_in"`). */
export interface Session extends SessionResponse {
  status: 'signed_in';
  userId: string;
  email: string;
  emailConfirmed: boolean;
}

/** What `POST /api/auth/mfa/verify` accepts after a password or a social sign-in. */
export type MfaMethod = 'totp' | 'passkey' | 'recovery';

/** The right password for an account with a second factor: no session yet, the second step follows (`client.mfa`). */
export interface MfaRequired extends SessionResponse {
  status: 'mfa_required';
  /** What the second step accepts. */
  methods: MfaMethod[];
  /** When the second step expires. */
  expiresAt: string;
}

/** A link flow's return, confirmed by this session: the provider signs in to this account from now on. */
export interface Linked extends SessionResponse {
  status: 'linked';
}

export type SignInResult = Session | MfaRequired;
export type SocialSignInResult = Session | MfaRequired | Linked;

/** Why the session changed: a sign-in, a refresh, other details of the same user (verify, a confirmed address), the end. */
export type SessionChangeReason = 'signed_in' | 'refreshed' | 'updated' | 'signed_out';

export interface SessionChange {
  reason: SessionChangeReason;
  /** True when another tab of this browser (another client for the same API) made the change. */
  fromOtherTab: boolean;
}

export type SessionListener = (session: Session | null, change: SessionChange) => void;

// Request bodies as callers write them: the generated ones, without the nulls the spec allows, with some keys optional.

type HttpMethod = 'get' | 'post';
export type Operation<P extends keyof paths, M extends HttpMethod> = NonNullable<paths[P][M]>;
type JsonContent<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type RequestBody<P extends keyof paths, M extends HttpMethod = 'post'> = JsonContent<NonNullable<Operation<P, M>['requestBody']>>;
type Responses<P extends keyof paths, M extends HttpMethod> = Operation<P, M>['responses'];
/** The success answers' bodies of an operation; `undefined` for 204. */
type SuccessStatus<P extends keyof paths, M extends HttpMethod> = (200 | 201 | 202 | 204) & keyof Responses<P, M>;
export type SuccessBody<P extends keyof paths, M extends HttpMethod> = {
  [S in SuccessStatus<P, M>]: [JsonContent<Responses<P, M>[S]>] extends [never] ? undefined : JsonContent<Responses<P, M>[S]>;
}[SuccessStatus<P, M>];

type NoNulls<T> = { [K in keyof T]: Exclude<T[K], null> };
/** A generated request body without nulls, the keys in O optional. */
export type Input<T, O extends keyof T = never> = NoNulls<Omit<T, O>> & Partial<NoNulls<Pick<T, O>>>;

/** The re-authentication some changes take: the password and, with TOTP on, a code or a recovery code; within the step-up window of a sign-in, none. */
export type ReauthInput = Input<RequestBody<'/api/auth/passkeys/register/options'>>;

export type SignupInput = Input<RequestBody<'/api/auth/signup'>>;
export type LoginInput = Input<RequestBody<'/api/auth/login'>>;
export type ChangePasswordInput = Input<RequestBody<'/api/auth/password'>>;
export type DeleteAccountInput = Input<RequestBody<'/api/auth/account/delete'>, 'password'>;
export type EmailChangeInput = Input<RequestBody<'/api/auth/email/change'>, 'password'>;
export type PasswordResetInput = Input<RequestBody<'/api/auth/password/reset'>>;
/** The second step's answer: the authenticator app's code, or one of the recovery codes. */
export type SecondFactorInput = { code: string; recoveryCode?: never } | { recoveryCode: string; code?: never };
export type MfaChangeInput = Input<RequestBody<'/api/auth/mfa/totp/disable'>, 'code' | 'recoveryCode'>;
export type PasskeyCredentialJson = Exclude<RequestBody<'/api/auth/passkeys/login'>['credential'], null>;
export type PasskeyRegisterInput = ReauthInput & Input<Omit<RequestBody<'/api/auth/passkeys/register'>, 'credential'>> & WebAuthnCallOptions;
export type PasskeySignInInput = Input<Omit<RequestBody<'/api/auth/passkeys/login'>, 'credential'>> & WebAuthnCallOptions & {
  /** `conditional` for passkeys offered in the browser's autofill (an input with autocomplete="username webauthn"). */
  mediation?: CredentialMediationRequirement;
};
export type LinkInput = Input<Omit<RequestBody<'/api/auth/oidc/{provider}/link'>, 'returnTo' | 'codeChallenge'>> & {
  /** The page the provider returns to (default: this page without its query). */
  returnTo?: string;
};

export interface WebAuthnCallOptions {
  /** Aborts the browser's passkey dialog. */
  signal?: AbortSignal;
}
