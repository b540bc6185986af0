// Parameters for main.bicep, read from the environment so nothing secret is committed.
// azd sets AZURE_ENV_NAME and loads the rest from .azure/<env>/.env (`azd env set NAME value`).
// With plain az CLI, export the same variables before `az deployment group create`.
// location is not set here: it defaults to the resource group's region (azd creates the group in
// AZURE_LOCATION; with az CLI, `az group create --location` chooses it).
using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')

// Comma-separated frontend origins, e.g. "https://app.example.com,https://admin.example.com".
param allowedOrigins = map(split(readEnvironmentVariable('AUTH_ALLOWED_ORIGINS'), ','), origin => trim(origin))

// ES256 (the default mode). First deployment: a P-256 key, PKCS#8 PEM:
//   azd env set AUTH_JWT_SIGNING_KEYS_PEM "$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)"
// Later: empty keeps what Key Vault holds; concatenated keys rotate (docs/security-model.md, key rotation).
param jwtSigningKeysPem = readEnvironmentVariable('AUTH_JWT_SIGNING_KEYS_PEM', '')

// ES256 (default), ES256+HS256 (migrating an HS256 deployment: the HMAC keys verify only) or HS256.
param jwtSigningMode = readEnvironmentVariable('AUTH_JWT_SIGNING_MODE', 'ES256')

// HS256 keys (modes HS256 and ES256+HS256). First HS256 deployment: openssl rand -base64 32. Later: empty keeps what Key Vault holds, or the rotation
// form id:base64;id:base64 (newest first) to rotate (docs/deploy-azure.md, key rotation in Azure).
param jwtSigningKeys = readEnvironmentVariable('AUTH_JWT_SIGNING_KEYS', '')

// The app's own key (refresh tokens), never one of the JWT keys. First deployment (and the first
// provision after the sessions release): openssl rand -base64 32. Later: empty keeps what Key Vault
// holds, or the rotation form to rotate, as for the JWT keys.
param serverKey = readEnvironmentVariable('AUTH_SERVER_KEY', '')

// Optional; empty means the API base URL.
param jwtIssuer = readEnvironmentVariable('AUTH_JWT_ISSUER', '')
param jwtAudience = readEnvironmentVariable('AUTH_JWT_AUDIENCE', '')

// None (default: frontend on another site) or Lax (frontend and API under one registrable domain).
param cookieSameSite = readEnvironmentVariable('AUTH_COOKIE_SAMESITE', 'None')

// Mail (docs/deploy-azure.md, email in Azure). The defaults are Azure Communication Services' SMTP relay:
// smtp.azurecomm.net, port 587, StartTls. Its user name is the name of an SMTP Username resource of the
// Communication Service (linked to an Entra application), its password a client secret of that application:
//   azd env set AUTH_SMTP_USER "auth-mailer"   # the SMTP Username resource's name
//   azd env set AUTH_SMTP_PASSWORD "<client secret>"
// Any other SMTP provider: set AUTH_SMTP_HOST / AUTH_SMTP_PORT / AUTH_SMTP_TLS (StartTls or SslOnConnect).
// The password goes to Key Vault (secret smtp-password); later provisions may leave it empty to keep it,
// with AUTH_SMTP_PASSWORD_IN_KEY_VAULT=true.
param smtpHost = readEnvironmentVariable('AUTH_SMTP_HOST', 'smtp.azurecomm.net')
param smtpPort = int(readEnvironmentVariable('AUTH_SMTP_PORT', '587'))
param smtpTls = readEnvironmentVariable('AUTH_SMTP_TLS', 'StartTls')
param smtpUser = readEnvironmentVariable('AUTH_SMTP_USER', '')
param smtpPassword = readEnvironmentVariable('AUTH_SMTP_PASSWORD', '')
// With AUTH_SMTP_USER and no AUTH_SMTP_PASSWORD (a later provision): say that Key Vault already holds it.
param smtpPasswordInKeyVault = bool(readEnvironmentVariable('AUTH_SMTP_PASSWORD_IN_KEY_VAULT', 'false'))

// Required: the sender (a MailFrom address of a domain connected to the Communication Service, e.g.
// "Example <DoNotReply@example.com>") and the frontend page the links open, on one of the allowed
// origins, e.g. "https://app.example.com/auth" (mails link to <base>/confirm, /reset and /forgot).
param emailFrom = readEnvironmentVariable('AUTH_EMAIL_FROM')
param emailLinkBaseUrl = readEnvironmentVariable('AUTH_EMAIL_LINK_BASE_URL')
param emailProductName = readEnvironmentVariable('AUTH_EMAIL_PRODUCT_NAME', 'Serverless Auth')
// true: login needs a confirmed address and signup no longer says whether an address is registered.
param emailRequireConfirmed = bool(readEnvironmentVariable('AUTH_EMAIL_REQUIRE_CONFIRMED', 'false'))
// The mail queue (and <name>-poison); the app setting of the same name tells the API and the queue trigger.
param emailQueueName = readEnvironmentVariable('AUTH_EMAIL_QUEUE', 'auth-email')

// Passkeys: off until AUTH_PASSKEYS_RP_ID names the registrable domain of the frontend, e.g. "example.com" for
// https://app.example.com. Passkeys are bound to it for good: changing it later orphans every passkey registered.
// The dialog shows AUTH_PASSKEYS_RP_NAME (empty: the product name). AUTH_PASSKEYS_ORIGINS, comma-separated, lists
// the frontend origins that run the ceremony (empty: the allowed origins on the RP id or under it).
param passkeyRpId = readEnvironmentVariable('AUTH_PASSKEYS_RP_ID', '')
param passkeyRpName = readEnvironmentVariable('AUTH_PASSKEYS_RP_NAME', '')
param passkeyOrigins = filter(map(split(readEnvironmentVariable('AUTH_PASSKEYS_ORIGINS', ''), ','), origin => trim(origin)), origin => !empty(origin))

// Social sign-in: off until AUTH_OIDC_PROVIDERS lists providers, as JSON (name: 1-32 lower-case letters and digits;
// authority only for a provider other than google and microsoft; optional scopes, displayName, trustEmail):
//   azd env set AUTH_OIDC_PROVIDERS '[{"name":"google","clientId":"<id>.apps.googleusercontent.com"},{"name":"okta","authority":"https://example.okta.com","clientId":"<id>","displayName":"Okta"}]'
//   azd env set AUTH_OIDC_CLIENT_SECRETS '{"google":"<secret>","okta":"<secret>"}'
// Each secret goes to Key Vault (secret oidc-<name>-client-secret). A later provision may leave a provider out of
// AUTH_OIDC_CLIENT_SECRETS to keep its secret, with "clientSecretInKeyVault": true on that provider. Register the
// redirect URIs of the output OIDC_REDIRECT_URIS at the providers (azd env get-value OIDC_REDIRECT_URIS).
param oidcProviders = json(readEnvironmentVariable('AUTH_OIDC_PROVIDERS', '[]'))
param oidcClientSecrets = json(readEnvironmentVariable('AUTH_OIDC_CLIENT_SECRETS', '{}'))

// The admin API (docs/security-events-and-admin.md): off until AUTH_ADMIN_AUTHORITY names the admin token
// issuer, e.g. Entra ID's https://login.microsoftonline.com/<tenant id>/v2.0, with AUTH_ADMIN_AUDIENCES (comma-separated:
// the app registration's client id, and api://<client id> for v1 tokens). AUTH_ADMIN_ISSUERS (comma-separated; empty:
// the discovery document's issuer) lists the exact iss values, AUTH_ADMIN_ROLE the app role (default Auth.Admin).
param adminAuthority = readEnvironmentVariable('AUTH_ADMIN_AUTHORITY', '')
param adminIssuers = filter(map(split(readEnvironmentVariable('AUTH_ADMIN_ISSUERS', ''), ','), issuer => trim(issuer)), issuer => !empty(issuer))
param adminAudiences = filter(map(split(readEnvironmentVariable('AUTH_ADMIN_AUDIENCES', ''), ','), audience => trim(audience)), audience => !empty(audience))
param adminRole = readEnvironmentVariable('AUTH_ADMIN_ROLE', 'Auth.Admin')
// Days security events are kept (1-3650).
param eventsRetentionDays = int(readEnvironmentVariable('AUTH_EVENTS_RETENTION_DAYS', '90'))

// Re-provisioning after `azd down` (docs/deploy-azure.md): recover the soft-deleted vault, or salt
// its name to create a new one.
param keyVaultCreateMode = readEnvironmentVariable('AZURE_KEY_VAULT_CREATE_MODE', 'default')
param keyVaultNameSalt = readEnvironmentVariable('AZURE_KEY_VAULT_NAME_SALT', '')
