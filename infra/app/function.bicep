// Flex Consumption (FC1) plan + the Function App. Platform CORS answers the browser's preflight and
// adds Access-Control-Allow-Credentials; the handlers never write CORS headers. All storage access
// uses the user-assigned identity; the secrets arrive through Key Vault references.
// Flex Consumption refuses or ignores several classic site properties and app settings (Learn: "App
// settings reference for Azure Functions", Flex Consumption plan deprecations): no ftpsState (Flex has
// no FTP; the site PUT fails with 400), no FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION /
// WEBSITE_RUN_FROM_PACKAGE, no alwaysOn, linuxFxVersion, netFrameworkVersion, use32BitWorkerProcess.

import { oidcProvider } from 'oidc.bicep'

@description('Name of the Function App (also its default host name).')
@minLength(2)
@maxLength(60)
param name string

@description('Name of the Flex Consumption plan.')
@minLength(1)
@maxLength(60)
param planName string

@description('Azure region of the plan and the app (a region that offers Flex Consumption).')
param location string

@description('Tags applied to the plan and the app; the app also gets azd-service-name.')
param tags { *: string }

@description('Service name in azure.yaml; azd finds the app by this tag.')
param azdServiceName string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of the user-assigned identity (for AzureWebJobsStorage, the tables, the mail queue and Application Insights).')
param identityClientId string

@description('Name of the storage account for host storage, deployment, tables and the mail queue.')
param storageAccountName string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Memory per instance in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Upper bound on instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Validated browser origins allowed to call the API with credentials (CORS and Auth__AllowedOrigins).')
@minLength(1)
param allowedOrigins string[]

@description('Table of user accounts.')
param usersTableName string
@description('Table of revoked tokens.')
param revocationsTableName string
@description('Table of login throttle counters.')
param loginThrottleTableName string
@description('Table of refresh sessions.')
param sessionsTableName string
@description('Table of email confirmation and password reset tokens.')
param mailTokensTableName string
@description('Table of per-address mail counts (the mail caps).')
param mailQuotasTableName string
@description('Table of the sample protected API\'s notes.')
param notesTableName string

@description('Mail queue (its poison queue is <name>-poison); the queue-triggered sender reads it through the AuthQueue connection.')
param emailQueueName string
@description('SMTP relay host.')
param smtpHost string
@description('SMTP port.')
@minValue(1)
@maxValue(65535)
param smtpPort int
@description('SMTP user name; empty for a relay without authentication.')
param smtpUser string
@description('StartTls or SslOnConnect (None, plain text, is refused in Azure).')
@allowed(['StartTls', 'SslOnConnect'])
param smtpTls string
@description('From header of the mails.')
param emailFrom string
@description('Product name in mail subjects.')
param emailProductName string
@description('Checked frontend base URL the mails link to (on one of allowedOrigins).')
param emailLinkBaseUrl string
@description('Login requires a confirmed address; signup becomes enumeration-safe.')
param emailRequireConfirmed bool
@description('Minutes a confirmation link stays valid.')
@minValue(5)
@maxValue(10080)
param emailConfirmTokenMinutes int
@description('Minutes a password reset link stays valid.')
@minValue(5)
@maxValue(1440)
param emailResetTokenMinutes int
@description('Most mails to one address in any hour.')
@minValue(1)
@maxValue(1000)
param emailMaxPerAddressPerHour int
@description('Most mails to one address in any 24 hours.')
@minValue(1)
@maxValue(1000)
param emailMaxPerAddressPerDay int

@description('Checked passkey relying party id; empty: passkeys are off.')
param passkeyRpId string
@description('Name the browser\'s passkey dialog shows; empty: the product name.')
@maxLength(100)
param passkeyRpName string
@description('Checked frontend origins allowed to run a passkey ceremony; empty: the allowedOrigins under passkeyRpId.')
param passkeyOrigins string[]

@description('Checked OpenID Connect providers (main.bicep oidcProviders); each client secret is the Key Vault reference keyVaultSecretUris holds under Auth__Oidc__Providers__<name>__ClientSecret.')
param oidcProviders oidcProvider[]

@description('Checked admin token authority (main.bicep adminAuthority); empty: the admin API is off and no Auth__Admin__* setting is written.')
param adminAuthority string
@description('Exact iss values of admin tokens; empty: the discovery document\'s issuer.')
param adminIssuers string[]
@description('aud values of admin tokens (at least one with adminAuthority).')
param adminAudiences string[]
@description('App role admin tokens carry in their roles claim.')
@minLength(1)
param adminRole string
@description('Days security events are kept.')
@minValue(1)
@maxValue(3650)
param eventsRetentionDays int

@description('JWT issuer; empty means the API base URL.')
param jwtIssuer string
@description('ES256, ES256+HS256 or HS256 (main.bicep jwtSigningMode): decides the default issuer.')
@allowed(['ES256', 'ES256+HS256', 'HS256'])
param jwtSigningMode string
@description('JWT audience; empty means the API base URL.')
param jwtAudience string
@description('Access token and cookie lifetime in seconds.')
@minValue(1)
@maxValue(86400)
param jwtLifetimeSeconds int
@description('Minutes a session may stay unused before it ends.')
@minValue(1)
@maxValue(525600)
param sessionIdleMinutes int
@description('Minutes a session lives from login.')
@minValue(1)
@maxValue(525600)
param sessionAbsoluteMinutes int

@description('Versionless Key Vault secret URIs by app setting name. Each setting is a Key Vault reference without a version, so a new version of the secret (a rotation) reaches the app on the next refetch.')
param keyVaultSecretUris { *: string }

@description('Base cookie name (the app adds the __Host- prefix).')
param cookieName string
@description('SameSite attribute of the auth cookie.')
@allowed(['None', 'Lax', 'Strict'])
param cookieSameSite string
@description('Whether the cookie is Partitioned (CHIPS).')
param cookiePartitioned bool
@description('Cookie Domain attribute; empty for a host-only cookie.')
param cookieDomain string

// The app's public URL. Not site.properties.defaultHostName: the site's own settings cannot depend on the site; the
// default host name of an app is <name>.azurewebsites.net.
var appBaseUrl = 'https://${name}.azurewebsites.net'
var apiBaseUrl = '${appBaseUrl}/api'
// The app's redirect URI for a provider: <Auth__Oidc__RedirectBaseUrl>/api/auth/oidc/<name>/callback.
var oidcRedirectUris = toObject(oidcProviders, provider => provider.name, provider => '${appBaseUrl}/api/auth/oidc/${provider.name}/callback')
// Per provider: the client id, the client secret as a versionless Key Vault reference, and the optional settings only
// when given (absent, the app's defaults apply: the built-in providers' authorities, openid email profile, ...).
var oidcAppSettings = flatten(map(oidcProviders, provider => concat(
  [
    { name: 'Auth__Oidc__Providers__${provider.name}__ClientId', value: provider.clientId }
    { name: 'Auth__Oidc__Providers__${provider.name}__ClientSecret', value: '@Microsoft.KeyVault(SecretUri=${keyVaultSecretUris['Auth__Oidc__Providers__${provider.name}__ClientSecret']})' }
  ],
  filter([
    { name: 'Auth__Oidc__Providers__${provider.name}__Authority', value: provider.?authority ?? '' }
    { name: 'Auth__Oidc__Providers__${provider.name}__Scopes', value: provider.?scopes ?? '' }
    { name: 'Auth__Oidc__Providers__${provider.name}__DisplayName', value: provider.?displayName ?? '' }
    { name: 'Auth__Oidc__Providers__${provider.name}__TrustEmail', value: provider.?trustEmail == null ? '' : provider.trustEmail! ? 'true' : 'false' }
  ], setting => !empty(setting.value)))))
// The admin API's settings only when it is on (an authority); the issuers only when given (absent: the discovery
// document's issuer).
var adminAppSettings = empty(adminAuthority) ? [] : filter([
  { name: 'Auth__Admin__Authority', value: adminAuthority }
  { name: 'Auth__Admin__Issuer', value: join(adminIssuers, ',') }
  { name: 'Auth__Admin__Audience', value: join(adminAudiences, ',') }
  { name: 'Auth__Admin__Role', value: adminRole }
], setting => !empty(setting.value))
var queueServiceUri = 'https://${storage.name}.queue.${environment().suffixes.storage}'

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      // Flex Consumption takes the runtime here, not from FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION.
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      cors: {
        allowedOrigins: allowedOrigins
        supportCredentials: true
      }
      appSettings: [
        // Host storage through the managed identity: no connection string, no key.
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        // Telemetry with Entra ID auth (local auth is disabled on the component).
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        // The app's tables through the same identity.
        { name: 'Auth__Storage__TableServiceUri', value: 'https://${storage.name}.table.${environment().suffixes.storage}' }
        { name: 'Auth__Storage__ManagedIdentityClientId', value: identityClientId }
        { name: 'Auth__Storage__UsersTable', value: usersTableName }
        { name: 'Auth__Storage__RevocationsTable', value: revocationsTableName }
        { name: 'Auth__Storage__LoginThrottleTable', value: loginThrottleTableName }
        { name: 'Auth__Storage__SessionsTable', value: sessionsTableName }
        { name: 'Auth__Storage__MailTokensTable', value: mailTokensTableName }
        { name: 'Auth__Storage__MailQuotasTable', value: mailQuotasTableName }
        { name: 'Samples__NotesTable', value: notesTableName }
        // The mail queue: the API enqueues through Auth__Storage__QueueServiceUri with the same identity...
        { name: 'Auth__Storage__QueueServiceUri', value: queueServiceUri }
        // ...to the queue named by one flat setting that the trigger reads too (%AUTH_EMAIL_QUEUE%): on Flex
        // Consumption the scale controller resolves trigger settings itself and has failed on names with ':'
        // (azure-functions-host#8261).
        { name: 'AUTH_EMAIL_QUEUE', value: emailQueueName }
        // ...and the sender's [QueueTrigger(Connection = "AuthQueue")] reads it through an identity-based
        // connection: <prefix>__queueServiceUri (Storage Queues extension 5.x), plus the common properties
        // <prefix>__credential=managedidentity and <prefix>__clientId for a user-assigned identity (Learn:
        // "Azure Queue storage trigger", Identity-based connections; functions-reference.md, "Common
        // properties for identity-based connections").
        { name: 'AuthQueue__queueServiceUri', value: queueServiceUri }
        { name: 'AuthQueue__credential', value: 'managedidentity' }
        { name: 'AuthQueue__clientId', value: identityClientId }
        // ES256: the auth routes' base, so issuer + '/.well-known/openid-configuration' is the discovery route.
        { name: 'Auth__Jwt__Issuer', value: !empty(jwtIssuer) ? jwtIssuer : jwtSigningMode == 'HS256' ? apiBaseUrl : '${apiBaseUrl}/auth' }
        { name: 'Auth__Jwt__Audience', value: empty(jwtAudience) ? apiBaseUrl : jwtAudience }
        // ES256 PKCS#8 PEM keys, the first signs (modes ES256 and ES256+HS256; empty, i.e. unset, in HS256 mode).
        { name: 'Auth__Jwt__SigningKeysPem', value: contains(keyVaultSecretUris, 'Auth__Jwt__SigningKeysPem') ? '@Microsoft.KeyVault(SecretUri=${keyVaultSecretUris.?Auth__Jwt__SigningKeysPem})' : '' }
        // HMAC keys, rotation form 'id:base64;id:base64' (newest first); a single bare base64 key is valid too.
        // They sign in HS256 mode, verify only next to the PEM keys (ES256+HS256), and are unset in ES256 mode.
        { name: 'Auth__Jwt__SigningKeys', value: contains(keyVaultSecretUris, 'Auth__Jwt__SigningKeys') ? '@Microsoft.KeyVault(SecretUri=${keyVaultSecretUris.?Auth__Jwt__SigningKeys})' : '' }
        // Seconds only: the app refuses Auth__Jwt__LifetimeMinutes next to it (these settings replace the
        // whole list, so a provision removes an older Auth__Jwt__LifetimeMinutes).
        { name: 'Auth__Jwt__LifetimeSeconds', value: string(jwtLifetimeSeconds) }
        // The app's own key (refresh-token successors), never a JWT signing key; same rotation form.
        { name: 'Auth__Secrets__ServerKey', value: '@Microsoft.KeyVault(SecretUri=${keyVaultSecretUris.Auth__Secrets__ServerKey})' }
        { name: 'Auth__Session__IdleMinutes', value: string(sessionIdleMinutes) }
        { name: 'Auth__Session__AbsoluteMinutes', value: string(sessionAbsoluteMinutes) }
        // The SMTP relay; the password (only with a user name) is a versionless Key Vault reference, else empty (unset).
        { name: 'Auth__Email__SmtpHost', value: smtpHost }
        { name: 'Auth__Email__SmtpPort', value: string(smtpPort) }
        { name: 'Auth__Email__SmtpUser', value: smtpUser }
        { name: 'Auth__Email__SmtpPassword', value: contains(keyVaultSecretUris, 'Auth__Email__SmtpPassword') ? '@Microsoft.KeyVault(SecretUri=${keyVaultSecretUris.?Auth__Email__SmtpPassword})' : '' }
        { name: 'Auth__Email__UseTls', value: smtpTls }
        { name: 'Auth__Email__From', value: emailFrom }
        { name: 'Auth__Email__ProductName', value: emailProductName }
        { name: 'Auth__Email__LinkBaseUrl', value: emailLinkBaseUrl }
        { name: 'Auth__Email__RequireConfirmed', value: emailRequireConfirmed ? 'true' : 'false' }
        { name: 'Auth__Email__ConfirmTokenMinutes', value: string(emailConfirmTokenMinutes) }
        { name: 'Auth__Email__ResetTokenMinutes', value: string(emailResetTokenMinutes) }
        { name: 'Auth__Email__MaxPerAddressPerHour', value: string(emailMaxPerAddressPerHour) }
        { name: 'Auth__Email__MaxPerAddressPerDay', value: string(emailMaxPerAddressPerDay) }
        // Passkeys (off while the RP id is empty); Auth__Passkeys__MaxPerUser keeps the app's default (20).
        { name: 'Auth__Passkeys__RpId', value: passkeyRpId }
        { name: 'Auth__Passkeys__RpName', value: passkeyRpName }
        { name: 'Auth__Passkeys__Origins', value: join(passkeyOrigins, ',') }
        { name: 'Auth__Cookie__Name', value: cookieName }
        { name: 'Auth__Cookie__Secure', value: 'true' }
        { name: 'Auth__Cookie__SameSite', value: cookieSameSite }
        { name: 'Auth__Cookie__Partitioned', value: cookiePartitioned ? 'true' : 'false' }
        { name: 'Auth__Cookie__Domain', value: cookieDomain }
        { name: 'Auth__AllowedOrigins', value: join(allowedOrigins, ',') }
        // Security events: kept this long (the clean-up drops older event tables); then the admin API, when it is on.
        { name: 'Auth__Events__RetentionDays', value: string(eventsRetentionDays) }
        ...adminAppSettings
        // Social sign-in: the redirect URIs are built on this base (the app would otherwise see the host's internal
        // scheme and host, DESIGN "What the worker sees in Azure"), then one group of settings per provider.
        { name: 'Auth__Oidc__RedirectBaseUrl', value: appBaseUrl }
        ...oidcAppSettings
      ]
    }
  }

  // No basic-auth (publishing profile) deployments to the SCM endpoint: azd and func publish with an
  // Entra ID token. (No 'ftp' policy: Flex Consumption has no FTP, and nothing shows it accepts one.)
  resource scmCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

output name string = site.name
output planName string = plan.name
output defaultHostName string = site.properties.defaultHostName
@description('Redirect URI by provider name, as the app sends it: register each at its provider.')
output oidcRedirectUris { *: string } = oidcRedirectUris
