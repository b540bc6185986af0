// The test OpenID Provider: the npm package oidc-provider (a certified OP) on loopback, started by
// OidcProviderProcess.cs. Usage: node provider.mjs [port]   (0 or none: the system picks a free port)
// Environment: OIDC_PROVIDER_CONFIG = JSON {
//   clients: [{ client_id, client_secret, redirect_uris, token_endpoint_auth_method? }],
//   autoConsent?: true (the default) grants what a client asks without the consent page; false shows it
// }
// Prints one line on stdout once it listens, `listening http://127.0.0.1:<port>` (the issuer), and
// otherwise only errors (on stderr).
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

// oidc-provider prints development notices (unsupported Node version, in-memory adapter, dev interactions)
// through console.info and console.warn, some of them while it is imported: keep them out of the output.
for (const method of ['info', 'warn']) {
  const print = console[method].bind(console);
  console[method] = (first, ...rest) => {
    if (typeof first === 'string' && /^oidc-provider (NOTICE|WARNING):/.test(first)) return;
    print(first, ...rest);
  };
}

const { default: Provider } = await import('oidc-provider');

const config = JSON.parse(process.env.OIDC_PROVIDER_CONFIG ?? '{}');
const clients = (config.clients ?? []).map((client) => ({
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  // A native client: a loopback redirect URI matches on any port (RFC 8252, 7.3), so a redirect URI can be
  // registered before the API that answers it has bound its port. Any other redirect URI matches exactly.
  application_type: 'native',
  ...client,
}));
const autoConsent = config.autoConsent ?? true;

// The login name is the subject. email: the login when it has an '@', else <login>@example.test;
// email_verified: false when the login starts with "unverified".
function findAccount(_ctx, id) {
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: id.includes('@') ? id : `${id}@example.test`,
        email_verified: !id.toLowerCase().startsWith('unverified'),
        name: id,
      };
    },
  };
}

// The default looks up the grant the session holds; with autoConsent, a first sign-in is granted the scopes
// and claims the client asks for (as for a first-party client), so no consent page appears.
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  if (grantId) return oidc.provider.Grant.find(grantId);
  if (!autoConsent) return undefined;
  const grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
  grant.addOIDCScope(oidc.params.scope ?? 'openid');
  await grant.save();
  return grant;
}

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.argv[2] ?? process.env.PORT ?? 0), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const provider = new Provider(issuer, {
  clients,
  findAccount,
  loadExistingGrant,
  jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  responseTypes: ['code'],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
});
provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error:', error));

server.on('request', provider.callback());
// Stops with the process that started it: when that one ends (even killed), stdin closes.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
console.log(`listening ${issuer}`);
