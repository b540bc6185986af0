// @serverless-auth/client: the typed browser client of the serverless auth API.
export { AuthClient, createAuthClient } from './client.js';
export type {
  AuthClientOptions, CredentialsLike, EmailMethods, HistoryLike, LocationLike, MfaMethods, PasskeyMethods, PasswordMethods,
  SocialMethods, StorageLike,
} from './client.js';
export { AuthError } from './errors.js';
export type { AuthErrorInit } from './errors.js';
export type { CryptoLike } from './pkce.js';
export type { ChannelConstructor, ChannelLike, LockManagerLike } from './session.js';
export type {
  AcceptedResponse, ActivityEvent, ChangePasswordInput, DeleteAccountInput, EmailChangeInput, EmailConfirmedResponse,
  IdentityInfo, Input, Linked, LinkInput, LoginInput, MfaChangeInput, MfaMethod, MfaRequired, MfaSetupResponse,
  MfaStatusResponse, OidcProviderInfo, Operation, PasskeyCreationOptions, PasskeyCredentialJson, PasskeyInfo, PasskeyListResponse,
  PasskeyRegisterInput, PasskeyRequestOptions, PasskeySignInInput, PasswordResetInput, ProblemDetails, ReauthInput,
  RecoveryCodesResponse, RequestBody, SecondFactorInput, Session, SessionChange, SessionChangeReason, SessionInfo,
  SessionListener, SessionResponse, SignInResult, SignupInput, SignupResponse, SocialSignInResult, SuccessBody,
  WebAuthnCallOptions,
} from './types.js';
export type { components, operations, paths } from './generated/openapi.js';
