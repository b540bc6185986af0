// Serverless auth API on Azure Functions (Flex Consumption), secure by default:
// user-assigned managed identity for every data-plane call, no storage keys, the JWT signing keys and
// the server key in Key Vault, telemetry with Entra ID auth, and platform CORS for credentialed frontends.
// Deploy with `azd up`, or `az deployment group create --template-file infra/main.bicep --parameters infra/main.bicepparam`.
targetScope = 'resourceGroup'

import { checkedOrigins } from 'app/origins.bicep'
import { checkedSecret, checkedDistinctSecret, checkedPem } from 'app/secrets.bicep'

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

@description('Table of revoked tokens (Auth__Storage__RevocationsTable).')
@minLength(3)
@maxLength(63)
param revocationsTableName string = 'RevokedTokens'

@description('Table of login throttle counters (Auth__Storage__LoginThrottleTable).')
@minLength(3)
@maxLength(63)
param loginThrottleTableName string = 'LoginThrottle'

@description('Table of refresh sessions (Auth__Storage__SessionsTable).')
@minLength(3)
@maxLength(63)
param sessionsTableName string = 'Sessions'

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
// deployment uses it (jwtSigningMode): only used secrets are written, granted and referenced, so a mode
// never points the app at a secret that does not exist. Adding a secret is one line here (plus its
// @secure() parameter and its app setting line).
var keyVaultSecrets = [
  { name: 'jwt-signing-keys-pem', appSetting: 'Auth__Jwt__SigningKeysPem', value: checkedPem(jwtSigningKeysPem, 'jwtSigningKeysPem'), used: jwtSigningMode != 'HS256' }
  { name: 'jwt-signing-keys', appSetting: 'Auth__Jwt__SigningKeys', value: checkedSecret(jwtSigningKeys, 'jwtSigningKeys', 44), used: jwtSigningMode != 'ES256' }
  { name: 'server-key', appSetting: 'Auth__Secrets__ServerKey', value: checkedDistinctSecret(checkedSecret(serverKey, 'serverKey', 44), 'serverKey', jwtSigningKeys, 'jwtSigningKeys'), used: true }
]
var usedKeyVaultSecrets = filter(keyVaultSecrets, secret => secret.used)
var tableNames = [usersTableName, revocationsTableName, loginThrottleTableName, sessionsTableName]

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
    tableNames: tableNames
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
  // (Role assignments still take minutes to propagate: README "Deploy to Azure" has the one command
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
