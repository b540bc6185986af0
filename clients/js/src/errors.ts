import type { components } from './generated/openapi.js';

type ProblemDetails = components['schemas']['HttpValidationProblemDetails'];

/** What an {@link AuthError} carries. */
export interface AuthErrorInit {
  status: number;
  title: string;
  code?: string | undefined;
  detail?: string | undefined;
  errors?: Readonly<Record<string, readonly string[]>> | undefined;
  retryAfter?: number | undefined;
  type?: string | undefined;
  instance?: string | undefined;
  body?: unknown;
  cause?: unknown;
}

/**
 * Every failure of a client method: the API's RFC 9457 problem (`status` 400-599, `title`, `detail`, the field
 * messages in `errors`, the machine-readable `code` where the API sets one, `retryAfter` in seconds on 429 and 503),
 * or, with `status` 0, a failure before or without an HTTP answer: `code` `network_error` (fetch rejected: offline,
 * or a CORS refusal, which browsers do not tell apart), `unsupported` (the browser lacks what the method needs),
 * `authenticator_error` (the passkey dialog gave no credential: cancelled, timed out, refused; `cause` is the
 * browser's DOMException), `verifier_missing` (a social sign-in came back to a tab that did not start it), or the
 * `?error=` code a social sign-in returned with (`access_denied`, `account_exists`...).
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  /** The HTTP status, or 0 when there was no HTTP answer (see the class summary). */
  readonly status: number;
  readonly title: string;
  /** The problem's `code` extension (`email_not_confirmed`, `account_disabled`, `invalid_token`...), when it has one. */
  readonly code: string | undefined;
  readonly detail: string | undefined;
  /** A validation problem's messages per field (`errors.password`, `errors.code`...). */
  readonly errors: Readonly<Record<string, readonly string[]>> | undefined;
  /** Seconds to wait before trying again (429, 503): the body's `retryAfter`, else the Retry-After header. */
  readonly retryAfter: number | undefined;
  readonly type: string | undefined;
  readonly instance: string | undefined;
  /** The parsed problem, or the raw text of a body that is not JSON. */
  readonly body: unknown;

  constructor(init: AuthErrorInit) {
    super(init.detail ? `${init.title} ${init.detail}` : init.title, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.title = init.title;
    this.code = init.code;
    this.detail = init.detail;
    this.errors = init.errors;
    this.retryAfter = init.retryAfter;
    this.type = init.type;
    this.instance = init.instance;
    this.body = init.body;
  }

  /** The messages for one field of a validation problem (empty when it has none). */
  fieldErrors(field: string): readonly string[] {
    return this.errors?.[field] ?? [];
  }
}

/** An error answer as an AuthError: problem+json when the body is, the status line and the raw text otherwise. */
export async function errorFromResponse(response: Response, now: number): Promise<AuthError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // A body that breaks off says nothing more than the status does.
  }
  let body: unknown = text === '' ? undefined : text;
  let problem: Partial<Record<keyof ProblemDetails | 'code' | 'retryAfter', unknown>> = {};
  if (text !== '') {
    try {
      body = JSON.parse(text);
      if (isRecord(body)) problem = body;
    } catch {
      // Not JSON (a proxy's HTML page, a plain-text 502): kept as text in body.
    }
  }
  const title = stringOrUndefined(problem.title) ?? (response.statusText || `HTTP ${response.status}`);
  return new AuthError({
    status: response.status,
    title,
    code: stringOrUndefined(problem.code),
    detail: stringOrUndefined(problem.detail),
    errors: fieldErrors(problem.errors),
    retryAfter: seconds(problem.retryAfter) ?? retryAfterHeader(response.headers.get('Retry-After'), now),
    type: stringOrUndefined(problem.type),
    instance: stringOrUndefined(problem.instance),
    body,
  });
}

export function clientError(code: string, title: string, detail?: string, cause?: unknown): AuthError {
  return new AuthError({ status: 0, code, title, detail, cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function fieldErrors(value: unknown): Record<string, string[]> | undefined {
  if (!isRecord(value)) return undefined;
  const errors: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(value)) {
    if (Array.isArray(messages)) errors[field] = messages.filter((message): message is string => typeof message === 'string');
    else if (typeof messages === 'string') errors[field] = [messages];
  }
  return errors;
}

function seconds(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number >= 0 ? Math.ceil(number) : undefined;
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 section 10.2.3); readable cross-origin only when exposed. */
function retryAfterHeader(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
