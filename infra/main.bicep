// Serverless auth API on Azure Functions (Flex Consumption), secure by default:
// user-assigned managed identity for every data-plane call, no storage keys, the JWT signing key in
// Key Vault, telemetry with Entra ID auth, and platform CORS for credentialed frontends.
// Deploy with `azd up`, or `az deployment group create --template-file infra/main.bicep --parameters infra/main.bicepparam`.
targetScope = 'resourceGroup'

import { checkedOrigins } from 'app/origins.bicep'

@description('Environment name (azd AZURE_ENV_NAME); part of the resource token and the azd-env-name tag.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region for all resources; it must offer the Flex Consumption plan.')
@minLength(1)
@maxLength(64)
param location string = resourceGroup().location

@description('Browser origins (scheme://host[:port], lower case, no path or trailing slash) allowed to call the API with cookies. Used for the Function App CORS and Auth__AllowedOrigins. \'*\' is refused.')
@minLength(1)
@maxLength(100)
param allowedOrigins string[]

@description('JWT signing key: base64 of at least 32 random bytes (openssl rand -base64 32). Stored in Key Vault only.')
@secure()
@minLength(44)
@maxLength(1024)
param jwtSigningKey string

@description('JWT issuer (Auth__Jwt__Issuer). Empty: the API base URL, https://<app>.azurewebsites.net/api.')
@maxLength(256)
param jwtIssuer string = ''

@description('JWT audience (Auth__Jwt__Audience). Empty: the API base URL.')
@maxLength(256)
param jwtAudience string = ''

@description('Lifetime of the token and its cookie in minutes (Auth__Jwt__LifetimeMinutes).')
@minValue(1)
@maxValue(1440)
param jwtLifetimeMinutes int = 30

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

// Refuses '*', an empty list and malformed entries: ARM evaluates this while validating the deployment,
// before any resource is created, because the Function App's CORS and settings are built from it.
var corsAllowedOrigins = checkedOrigins(allowedOrigins)

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var names = {
  identity: 'id-${resourceToken}'
  storage: 'st${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-${resourceToken}'
  deploymentContainer: 'deployment-package'
  signingKeySecret: 'jwt-signing-key'
}

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
    tableNames: [usersTableName, revocationsTableName, loginThrottleTableName]
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyVault'
  params: {
    name: names.keyVault
    location: location
    tags: tags
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    signingKeySecretName: names.signingKeySecret
    signingKey: jwtSigningKey
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    signingKeySecretName: keyVault.outputs.signingKeySecretName
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
    jwtIssuer: jwtIssuer
    jwtAudience: jwtAudience
    jwtLifetimeMinutes: jwtLifetimeMinutes
    signingKeySecretUri: keyVault.outputs.signingKeySecretUri
    cookieName: cookieName
    cookieSameSite: cookieSameSite
    cookiePartitioned: cookiePartitioned
    cookieDomain: cookieDomain
  }
  // The identity must hold its roles before the host starts and resolves the Key Vault reference.
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
