// A frontend's use of the packed client, type-checked by test/pack.test.mjs in a scratch project that installed the
// tarball. Each @ts-expect-error line must be an error: without the directives the file must not compile.
import {
  AuthError, createAuthClient, type ActivityEvent, type MfaStatusResponse, type PasskeyInfo, type Session,
  type SessionChangeReason, type SessionInfo, type SignInResult, type paths,
} from '@serverless-auth/client';

const client = createAuthClient({ baseUrl: 'https://auth.example.com' });

export async function signIn(email: string, password: string): Promise<Session> {
  const result: SignInResult = await client.login({ email, password, remember: false });
  if (result.status === 'mfa_required') {
    const expires: string = result.expiresAt;
    console.log(`second step until ${expires}`);
    return result.methods.includes('passkey') ? client.mfa.verifyWithPasskey() : client.mfa.verify({ code: '123456' });
  }
  const userId: string = result.userId;
  console.log(userId, result.amr?.join(','));
  return result;
}

export async function account(): Promise<void> {
  const signup = await client.signup({ email: 'ada@example.com', password: 'analytical engine notes 1843' });
  if ('userId' in signup) console.log(signup.emailConfirmed);
  else console.log(signup.status);

  const session = await client.restore();
  const who: string | undefined = session?.email;
  const sessions: SessionInfo[] = await client.sessions();
  const current = sessions.find((s) => s.current);
  if (current) await client.revokeSession(current.sessionId);
  const events: ActivityEvent[] = await client.activity();
  const factors: MfaStatusResponse = await client.mfa.status();
  const setup = await client.mfa.setupTotp({ password: 'analytical engine notes 1843' });
  const codes: string[] = (await client.mfa.enableTotp('123456')).recoveryCodes;
  await client.mfa.disableTotp({ password: 'analytical engine notes 1843', recoveryCode: codes[0] ?? '' });
  const added: PasskeyInfo = await client.passkeys.register({ name: 'Laptop', password: 'analytical engine notes 1843' });
  const { passkeys } = await client.passkeys.list();
  await client.passkeys.rename(added.id, 'Work laptop');
  await client.passkeys.delete(added.id);
  await client.email.change({ newEmail: 'ada@example.org', password: 'analytical engine notes 1843' });
  await client.password.reset({ token: 't', newPassword: 'a new long passphrase here' });
  await client.deleteAccount();
  console.log(who, events.length, factors.totp, setup.otpauthUri, passkeys.length);
}

export async function social(): Promise<void> {
  const providers = await client.social.providers();
  const first = providers[0];
  if (first) location.assign(await client.social.signInUrl(first.name, { returnTo: location.href }));
  const back = await client.social.complete();
  if (back === null) return;
  if (back.status === 'linked') console.log('linked');
  else if (back.status === 'mfa_required') await client.mfa.verify({ recoveryCode: 'abcde-fghij' });
  else console.log(back.email);
  location.assign(await client.social.link('google', { password: 'analytical engine notes 1843' }));
}

export function watch(): () => void {
  return client.onSessionChange((session, change) => {
    const reason: SessionChangeReason = change.reason;
    const remote: boolean = change.fromOtherTab;
    console.log(reason, remote, session?.expiresAt, client.nextRefreshAt?.toISOString());
  });
}

export async function errors(): Promise<void> {
  try {
    await client.changePassword({ currentPassword: 'old one', newPassword: 'a new long passphrase here' });
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    const status: number = error.status;
    const wait: number | undefined = error.retryAfter;
    const code: string | undefined = error.code;
    const messages: readonly string[] = error.fieldErrors('newPassword');
    console.log(status, wait, code, messages, error.errors?.['newPassword'], error.title, error.detail);
  }
}

// The generated types are exported for callers of the app's own routes.
type MeBody = paths['/api/me']['get']['responses'][200]['content']['application/json'];
export const me: (body: MeBody) => string = (body) => body.userId;

export async function wrong(): Promise<void> {
  // @ts-expect-error login needs a password
  await client.login({ email: 'ada@example.com' });
  // @ts-expect-error remember is a boolean
  await client.login({ email: 'ada@example.com', password: 'p', remember: 'yes' });
  // @ts-expect-error the second step takes a code or a recovery code, not both
  await client.mfa.verify({ code: '123456', recoveryCode: 'abcde-fghij' });
  // @ts-expect-error a session's userId is a string
  const id: number = (await client.verify()).userId;
  // @ts-expect-error revokeSession takes the session's id
  await client.revokeSession({ sessionId: 's1' });
  // @ts-expect-error the admin routes are not the browser client's
  await client.admin.users.find({ email: 'ada@example.com' });
  // @ts-expect-error retryAfter is a number of seconds
  const wait: string = new AuthError({ status: 429, title: 'Too many attempts.' }).retryAfter;
  // @ts-expect-error the reasons are signed_in, refreshed, updated and signed_out
  client.onSessionChange((session, change) => change.reason === 'expired');
  // @ts-expect-error baseUrl is required
  createAuthClient({});
  // @ts-expect-error rename takes the new name
  await client.passkeys.rename('AQID');
  console.log(id, wait);
}
