// Serverless auth API on Azure Functions (Flex Consumption), secure by default:
// user-assigned managed identity for every data-plane call, no storage keys, the JWT signing keys,
// the server key, the SMTP password and the OpenID Connect client secrets in Key Vault, telemetry with Entra ID auth, and platform CORS for credentialed frontends.
// Deploy with `azd up`, or `az deployment group create --template-file infra/main.bicep --parameters infra/main.bicepparam`.
targetScope = 'resourceGroup'

import { checkedOrigins, checkedLinkBaseUrl, checkedRpId, checkedCeremonyOrigins } from 'app/origins.bicep'
import { checkedSecret, checkedDistinctSecret, checkedPem, checkedSmtpPassword } from 'app/secrets.bicep'
import { oidcProvider, checkedOidcProviders, checkedOidcClientSecret } from 'app/oidc.bicep'
import { checkedAuthority } from 'app/admin.bicep'

@description('Environment name (azd AZURE_ENV_NAME); part of the resource token and the azd-env-name tag.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region for all resources; it must offer the Flex Consumption plan.')
@minLength(1)
@maxLength(64)
param location string = resourceGroup().location

@description('Browser origins allowed to call the API with cookies: https://host[:port], lower case, no path or trailing slash. http is accepted only for http://localhost[:port] and http://127.0.0.1[:port] (a dev server on your machine). Used for the Function App CORS and Auth__AllowedOrigins. \'*\' is refused.')
@minLength(1)
@maxLength(100)
param allowedOrigins string[]

@description('HS256 JWT signing keys (jwtSigningMode HS256; verify-only in ES256+HS256), stored in Key Vault only (secret jwt-signing-keys, app setting Auth__Jwt__SigningKeys): base64 of at least 32 random bytes (openssl rand -base64 32), or the rotation form id:base64;id:base64 (newest first). Written as a new secret version when not empty; empty keeps the version already in Key Vault, so a redeploy never undoes a rotation. Required (non-empty) on the first HS256 deployment.')
@secure()
@maxLength(1024)
param jwtSigningKeys string = ''

@description('ES256 signing keys (recommended), stored in Key Vault only (secret jwt-signing-keys-pem, app setting Auth__Jwt__SigningKeysPem): one or more concatenated PKCS#8 PEM blocks of P-256 keys (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256); the first signs, all are published (JWKS). Used when jwtSigningMode is ES256 or ES256+HS256. Written as a new secret version when not empty; empty keeps the version already in Key Vault, so a redeploy never undoes a rotation. Required (non-empty) on the first ES256 deployment.')
@secure()
@maxLength(4096)
param jwtSigningKeysPem string = ''

@description('Which JWT keys the app reads. ES256 (default): jwtSigningKeysPem signs and is published; no HMAC key. ES256+HS256: the migration step from an HS256 deployment: jwtSigningKeysPem signs, the HMAC keys already in Key Vault (jwt-signing-keys) still verify the tokens they signed; switch to ES256 after one token lifetime. HS256: the HMAC keys (jwtSigningKeys) sign and nothing is published.')
@allowed(['ES256', 'ES256+HS256', 'HS256'])
param jwtSigningMode string = 'ES256'

@description('Server key, stored in Key Vault only (secret server-key, app setting Auth__Secrets__ServerKey): the app\'s own key for values only it derives and checks (refresh-token successors). Same form as jwtSigningKeys: base64 of at least 32 random bytes (openssl rand -base64 32), or the rotation form id:base64;id:base64 (newest first); never one of the JWT signing keys. Written as a new secret version when not empty; empty keeps the version already in Key Vault. Required (non-empty) on the first deployment: the app does not start without it.')
@secure()
@maxLength(1024)
param serverKey string = ''

@description('JWT issuer (Auth__Jwt__Issuer). Empty: https://<app>.azurewebsites.net/api/auth in the ES256 modes (so issuer + /.well-known/openid-configuration is the discovery route), the API base URL https://<app>.azurewebsites.net/api in HS256 mode.')
@maxLength(256)
param jwtIssuer string = ''

@description('JWT audience (Auth__Jwt__Audience). Empty: the API base URL.')
@maxLength(256)
param jwtAudience string = ''

@description('Lifetime of the access token and its cookie in seconds (Auth__Jwt__LifetimeSeconds); the refresh token keeps the session going.')
@minValue(1)
@maxValue(86400)
param jwtLifetimeSeconds int = 900

@description('Minutes a session may stay unused before it ends (Auth__Session__IdleMinutes); at most sessionAbsoluteMinutes. Default 14 days.')
@minValue(1)
@maxValue(525600)
param sessionIdleMinutes int = 20160

@description('Minutes a session lives from login, however active (Auth__Session__AbsoluteMinutes). Default 30 days.')
@minValue(1)
@maxValue(525600)
param sessionAbsoluteMinutes int = 43200

@description('SameSite of the auth cookie. None: frontends on another site (e.g. *.azurestaticapps.net calling *.azurewebsites.net). Lax: frontend and API share a registrable domain (app.example.com + api.example.com).')
@allowed(['None', 'Lax', 'Strict'])
param cookieSameSite string = 'None'

@description('Partitioned (CHIPS) auth cookie, so browsers that block third-party cookies can still keep it per top-level site. Defaults to true with SameSite=None.')
param cookiePartitioned bool = cookieSameSite == 'None'

@description('Base name of the auth cookie; the app sends it as __Host-<name>.')
@minLength(1)
@maxLength(64)
param cookieName string = 'auth'

@description('Cookie Domain attribute. Empty (recommended): a host-only cookie for the API host.')
@maxLength(253)
param cookieDomain string = ''

@description('Table of user accounts (Auth__Storage__UsersTable).')
@minLength(3)
@maxLength(63)
param usersTableName string = 'Users'

@description('Table of revoked tokens (Auth__Storage__RevocationsTable); also the prefix of the app\'s per-minute change-log tables (+ 12 digits), hence at most 51 characters.')
@minLength(3)
@maxLength(51)
param revocationsTableName string = 'RevokedTokens'

@description('Table of login throttle counters (Auth__Storage__LoginThrottleTable).')
@minLength(3)
@maxLength(63)
param loginThrottleTableName string = 'LoginThrottle'

@description('Table of refresh sessions (Auth__Storage__SessionsTable).')
@minLength(3)
@maxLength(63)
param sessionsTableName string = 'Sessions'

@description('Table of single-use email confirmation and password reset tokens (Auth__Storage__MailTokensTable).')
@minLength(3)
@maxLength(63)
param mailTokensTableName string = 'MailTokens'

@description('Table of per-address mail counts behind the hourly and daily caps (Auth__Storage__MailQuotasTable).')
@minLength(3)
@maxLength(63)
param mailQuotasTableName string = 'MailQuotas'

@description('Table of the sample protected API\'s notes (Samples__NotesTable); drop it with the sample.')
@minLength(3)
@maxLength(63)
param notesTableName string = 'Notes'

@description('Storage queue the API puts mail on and the queue-triggered function sends from (app setting AUTH_EMAIL_QUEUE, read by both); messages that fail maxDequeueCount times (host.json) move to <name>-poison. 3-56 lower-case letters, digits and single hyphens, so the poison queue name stays within 63.')
@minLength(3)
@maxLength(56)
param emailQueueName string = 'auth-email'

@description('SMTP relay host (Auth__Email__SmtpHost), e.g. smtp.azurecomm.net for Azure Communication Services.')
@minLength(1)
@maxLength(253)
param smtpHost string

@description('SMTP port (Auth__Email__SmtpPort): 587 with StartTls, 465 with SslOnConnect.')
@minValue(1)
@maxValue(65535)
param smtpPort int = 587

@description('SMTP user name (Auth__Email__SmtpUser); empty for a relay without authentication. With Azure Communication Services: the name of an SMTP Username resource of the Communication Service (docs/deploy-azure.md, email in Azure).')
@maxLength(256)
param smtpUser string = ''

@description('SMTP password, stored in Key Vault only (secret smtp-password, app setting Auth__Email__SmtpPassword, referenced only when smtpUser is set). Azure Communication Services: a client secret of the Entra application linked to the SMTP user name. Written as a new secret version when not empty; empty keeps the version already in Key Vault, and then needs smtpPasswordInKeyVault. Required (non-empty) on the first deployment with smtpUser.')
@secure()
@maxLength(1024)
param smtpPassword string = ''

@description('The Key Vault secret smtp-password already holds the SMTP password (an earlier deployment wrote it), so smtpPassword may stay empty. With smtpUser set, a deployment needs smtpPassword or this flag: an empty password alone cannot tell a redeploy from a first deployment, which would point the app at a secret that does not exist.')
param smtpPasswordInKeyVault bool = false

@description('Transport security to the SMTP relay (Auth__Email__UseTls): StartTls (port 587) or SslOnConnect (port 465). The app\'s third mode, None, sends the links and the password in plain text and is refused in Azure, so it is not offered here.')
@allowed(['StartTls', 'SslOnConnect'])
param smtpTls string = 'StartTls'

@description('From header of the mails (Auth__Email__From), e.g. \'Example <DoNotReply@example.com>\'; the relay must be allowed to send as this address (Azure Communication Services: a sender of a connected domain).')
@minLength(3)
@maxLength(320)
param emailFrom string

@description('Product name in mail subjects and text (Auth__Email__ProductName).')
@minLength(1)
@maxLength(100)
param emailProductName string = 'Serverless Auth'

@description('Frontend base URL the mails link to (Auth__Email__LinkBaseUrl): <base>/confirm?token=, <base>/reset?token= and <base>/forgot. Must lie on one of allowedOrigins, without query or fragment, e.g. https://app.example.com/auth; anything else fails the deployment.')
@minLength(1)
@maxLength(2048)
param emailLinkBaseUrl string

@description('Login requires a confirmed email address, and signup stops telling whether an address is registered (Auth__Email__RequireConfirmed).')
param emailRequireConfirmed bool = false

@description('Minutes an email confirmation link stays valid (Auth__Email__ConfirmTokenMinutes). Default one day.')
@minValue(5)
@maxValue(10080)
param emailConfirmTokenMinutes int = 1440

@description('Minutes a password reset link stays valid (Auth__Email__ResetTokenMinutes); a reset link is as good as the password.')
@minValue(5)
@maxValue(1440)
param emailResetTokenMinutes int = 30

@description('Most mails to one address, registered or not, in any rolling hour (Auth__Email__MaxPerAddressPerHour); further ones are dropped by the sender.')
@minValue(1)
@maxValue(1000)
param emailMaxPerAddressPerHour int = 5

@description('Most mails to one address in any rolling 24 hours (Auth__Email__MaxPerAddressPerDay); at least emailMaxPerAddressPerHour, or the app refuses to start.')
@minValue(1)
@maxValue(1000)
param emailMaxPerAddressPerDay int = 20

@description('Passkey relying party id (Auth__Passkeys__RpId): the registrable domain the frontend\'s host is or is under, in lower case, e.g. example.com for https://app.example.com (the API\'s host does not matter); never an IP address or a public suffix such as com or azurestaticapps.net (a frontend on my-app.azurestaticapps.net uses my-app.azurestaticapps.net). Passkeys are bound to it for good: changing it orphans every passkey registered. Empty (default): passkeys are off.')
@maxLength(253)
param passkeyRpId string = ''

@description('Name the browser\'s passkey dialog shows (Auth__Passkeys__RpName), at most 100 characters. Empty: emailProductName.')
@maxLength(100)
param passkeyRpName string = ''

@description('Frontend origins allowed to run a passkey ceremony (Auth__Passkeys__Origins): https://host[:port] in lower case, no path or trailing slash (http only for http://localhost[:port]), each on passkeyRpId or a subdomain of it. Empty (default): the allowedOrigins on passkeyRpId or under it. Needs passkeyRpId; a bad entry, or an RP id that no origin can use, fails the deployment before anything is created.')
@minLength(0)
@maxLength(100)
param passkeyOrigins string[] = []

@description('OpenID Connect providers users may sign in with (social sign-in), e.g. [{ name: \'google\', clientId: \'<id>.apps.googleusercontent.com\' }, { name: \'okta\', authority: \'https://example.okta.com\', clientId: \'<id>\', displayName: \'Okta\' }]: app settings Auth__Oidc__Providers__<name>__Authority, __ClientId, __ClientSecret (Key Vault reference), __Scopes, __DisplayName, __TrustEmail (the optional ones only when given). Each provider\'s redirect URI, to register at the provider, is in the output OIDC_REDIRECT_URIS. A bad name, a name given twice, an authority that is not https, a missing authority (other than for google and microsoft), client id or client secret fails the deployment before anything is created. Empty (default): no social sign-in.')
@minLength(0)
@maxLength(20)
param oidcProviders oidcProvider[] = []

@description('Client secrets of oidcProviders by provider name, e.g. { google: \'<secret>\' }, stored in Key Vault only (secret oidc-<name>-client-secret, app setting Auth__Oidc__Providers__<name>__ClientSecret). A secret is written as a new version when given; a provider left out keeps the version already in Key Vault, and then needs clientSecretInKeyVault. Required for each provider on its first deployment.')
@secure()
param oidcClientSecrets { *: string } = {}

@description('OpenID authority of the issuer of admin tokens (Auth__Admin__Authority): it serves <authority>/.well-known/openid-configuration, e.g. https://login.microsoftonline.com/<tenant id>/v2.0 for Entra ID. Empty (default): the admin API is off (its routes answer 404) and no Auth__Admin__* setting is written. An authority that is not https, one without adminAudiences, or this app\'s own issuer fails the deployment before anything is created.')
@maxLength(2048)
param adminAuthority string = ''

@description('Exact iss values admin tokens may carry (Auth__Admin__Issuer, comma-joined), e.g. https://login.microsoftonline.com/<tenant id>/v2.0 (Entra ID v2 tokens) and https://sts.windows.net/<tenant id>/ (v1 tokens). Empty (default): the issuer of the authority\'s discovery document. Only with adminAuthority.')
@minLength(0)
@maxLength(10)
param adminIssuers string[] = []

@description('aud values admin tokens may carry (Auth__Admin__Audience, comma-joined). Entra ID: the app registration\'s client id (v2 tokens), its Application ID URI such as api://<client id> (v1 tokens). Required with adminAuthority.')
@minLength(0)
@maxLength(10)
param adminAudiences string[] = []

@description('App role an admin token must carry in its roles claim (Auth__Admin__Role), as Entra ID app roles arrive. Written only with adminAuthority.')
@minLength(1)
@maxLength(120)
param adminRole string = 'Auth.Admin'

@description('Days security events are kept (Auth__Events__RetentionDays): the storage clean-up drops the per-month user and per-day fleet event tables once they are older.')
@minValue(1)
@maxValue(3650)
param eventsRetentionDays int = 90

@description('Memory per Flex Consumption instance in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Most instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Days a deleted Key Vault stays recoverable. Purge protection is on, so the vault name stays reserved this long after `azd down`.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 7

@description('default: create the Key Vault. recover: bring back the soft-deleted vault of the same name (after `azd down`, within the retention period), with its secrets; set it back to default once it is back.')
@allowed(['default', 'recover'])
param keyVaultCreateMode string = 'default'

@description('Appended to the Key Vault name (kv-<token>-<salt>) to create a new vault instead of recovering one whose name is still reserved. Empty: kv-<token>.')
@maxLength(7)
param keyVaultNameSalt string = ''

// Refuses '*', an empty list and malformed entries: ARM evaluates this while validating the deployment,
// before any resource is created, because the Function App's CORS and settings are built from it.
var corsAllowedOrigins = checkedOrigins(allowedOrigins)

// The app refuses an idle limit above the absolute one; refuse it here too, before anything is created.
var checkedSessionIdleMinutes = sessionIdleMinutes <= sessionAbsoluteMinutes
  ? sessionIdleMinutes
  : fail('sessionIdleMinutes (${sessionIdleMinutes}) is greater than sessionAbsoluteMinutes (${sessionAbsoluteMinutes}): a session cannot stay idle longer than it may live')

// Mails carry sign-in tokens to this address: refuse, before anything is created, one that is not on a
// frontend origin the API trusts (the app refuses it at start-up too).
var checkedEmailLinkBaseUrl = checkedLinkBaseUrl(emailLinkBaseUrl, corsAllowedOrigins)

// The app refuses to start on a passkey RP id or ceremony origins it cannot use; refuse them here first.
var checkedPasskeyRpId = checkedRpId(passkeyRpId)
var checkedPasskeyOrigins = checkedCeremonyOrigins(passkeyOrigins, checkedPasskeyRpId, corsAllowedOrigins)

// The app refuses to start on a provider it cannot use; refuse it here first (the client secrets are checked with
// their Key Vault entries below).
var checkedOidc = checkedOidcProviders(oidcProviders)

// The app refuses to start on an admin issuer it cannot use, or on its own issuer (its session tokens must never pass
// as an admin's): refuse them here first. Its issuer is jwtIssuer, or one of the defaults function.bicep picks.
var checkedAdminAuthority = checkedAuthority(adminAuthority, adminIssuers, adminAudiences, filter([
  jwtIssuer
  'https://${names.functionApp}.azurewebsites.net/api'
  'https://${names.functionApp}.azurewebsites.net/api/auth'
], issuer => !empty(issuer)))

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var names = {
  identity: 'id-${resourceToken}'
  storage: 'st${resourceToken}'
  keyVault: empty(keyVaultNameSalt) ? 'kv-${resourceToken}' : 'kv-${resourceToken}-${toLower(keyVaultNameSalt)}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-${resourceToken}'
  deploymentContainer: 'deployment-package'
}

// The secrets the app may read through versionless Key Vault references: the secret, the app setting that
// references it (function.bicep), its value ('' keeps the versions already in Key Vault) and whether this
// deployment uses it (jwtSigningMode; smtpUser): only used secrets are written, granted and referenced, so a mode
// never points the app at a secret that does not exist. Adding a secret is one line here (plus its
// @secure() parameter and its app setting line).
var keyVaultSecrets = [
  { name: 'jwt-signing-keys-pem', appSetting: 'Auth__Jwt__SigningKeysPem', value: checkedPem(jwtSigningKeysPem, 'jwtSigningKeysPem'), used: jwtSigningMode != 'HS256' }
  { name: 'jwt-signing-keys', appSetting: 'Auth__Jwt__SigningKeys', value: checkedSecret(jwtSigningKeys, 'jwtSigningKeys', 44), used: jwtSigningMode != 'ES256' }
  { name: 'server-key', appSetting: 'Auth__Secrets__ServerKey', value: checkedDistinctSecret(checkedSecret(serverKey, 'serverKey', 44), 'serverKey', jwtSigningKeys, 'jwtSigningKeys'), used: true }
  // Only a relay with a user name authenticates, so only then is the password granted and referenced.
  { name: 'smtp-password', appSetting: 'Auth__Email__SmtpPassword', value: checkedSmtpPassword(smtpPassword, smtpUser, smtpPasswordInKeyVault), used: !empty(smtpUser) }
]
// One client secret per OpenID Connect provider, always used: a provider without its secret cannot sign anyone in.
var oidcKeyVaultSecrets = map(checkedOidc, provider => {
  name: 'oidc-${provider.name}-client-secret'
  appSetting: 'Auth__Oidc__Providers__${provider.name}__ClientSecret'
  value: checkedOidcClientSecret(oidcClientSecrets, provider, checkedOidc)
  used: true
})
var usedKeyVaultSecrets = concat(filter(keyVaultSecrets, secret => secret.used), oidcKeyVaultSecrets)
var tableNames = [usersTableName, revocationsTableName, loginThrottleTableName, sessionsTableName, mailTokensTableName, mailQuotasTableName, notesTableName]
// The poison queue name is the Functions queue trigger's own convention (<queue>-poison); the Standalone sender uses it too.
var queueNames = [emailQueueName, '${emailQueueName}-poison']

module identity 'app/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: names.deploymentContainer
    tableNames: tableNames
    queueNames: queueNames
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyVault'
  params: {
    name: names.keyVault
    location: location
    tags: tags
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    createMode: keyVaultCreateMode
    secretNames: map(usedKeyVaultSecrets, secret => secret.name)
    secretValues: toObject(usedKeyVaultSecrets, secret => secret.name, secret => secret.value)
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    queueNames: queueNames
    keyVaultName: keyVault.outputs.name
    keyVaultSecretNames: map(usedKeyVaultSecrets, secret => secret.name)
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module functionApp 'app/function.bicep' = {
  name: 'functionApp'
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    azdServiceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    allowedOrigins: corsAllowedOrigins
    usersTableName: usersTableName
    revocationsTableName: revocationsTableName
    loginThrottleTableName: loginThrottleTableName
    sessionsTableName: sessionsTableName
    mailTokensTableName: mailTokensTableName
    mailQuotasTableName: mailQuotasTableName
    notesTableName: notesTableName
    emailQueueName: emailQueueName
    smtpHost: smtpHost
    smtpPort: smtpPort
    smtpUser: smtpUser
    smtpTls: smtpTls
    emailFrom: emailFrom
    emailProductName: emailProductName
    emailLinkBaseUrl: checkedEmailLinkBaseUrl
    emailRequireConfirmed: emailRequireConfirmed
    emailConfirmTokenMinutes: emailConfirmTokenMinutes
    emailResetTokenMinutes: emailResetTokenMinutes
    emailMaxPerAddressPerHour: emailMaxPerAddressPerHour
    emailMaxPerAddressPerDay: emailMaxPerAddressPerDay
    passkeyRpId: checkedPasskeyRpId
    passkeyRpName: passkeyRpName
    passkeyOrigins: checkedPasskeyOrigins
    oidcProviders: checkedOidc
    adminAuthority: checkedAdminAuthority
    adminIssuers: adminIssuers
    adminAudiences: adminAudiences
    adminRole: adminRole
    eventsRetentionDays: eventsRetentionDays
    jwtIssuer: jwtIssuer
    jwtSigningMode: jwtSigningMode
    jwtAudience: jwtAudience
    jwtLifetimeSeconds: jwtLifetimeSeconds
    sessionIdleMinutes: checkedSessionIdleMinutes
    sessionAbsoluteMinutes: sessionAbsoluteMinutes
    keyVaultSecretUris: toObject(usedKeyVaultSecrets, secret => secret.appSetting, secret => '${keyVault.outputs.uri}secrets/${secret.name}')
    cookieName: cookieName
    cookieSameSite: cookieSameSite
    cookiePartitioned: cookiePartitioned
    cookieDomain: cookieDomain
  }
  // The identity must hold its roles before the host starts and resolves the Key Vault references.
  // (Role assignments still take minutes to propagate: docs/deploy-azure.md has the one command
  // that makes the platform resolve the references again.)
  dependsOn: [rbac]
}

// Names and URLs only: nothing here is a key, a connection string or a secure parameter.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output API_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_APPLICATION_INSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output AZURE_MANAGED_IDENTITY_NAME string = identity.outputs.name
output ALLOWED_ORIGINS string = join(corsAllowedOrigins, ',')
// Register each at its provider (the app sends the same URI, from Auth__Oidc__RedirectBaseUrl).
output OIDC_REDIRECT_URIS { *: string } = functionApp.outputs.oidcRedirectUris
