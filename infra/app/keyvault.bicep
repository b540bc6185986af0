// Key Vault in RBAC mode holding the app's secrets (the JWT signing keys, the server key, the SMTP password). The
// Function App reads each through a versionless Key Vault reference with its user-assigned identity
// (Key Vault Secrets User on that secret only, rbac.bicep).
//
// Re-provisioning must not undo a rotation, so a secret is written only when its value is not empty:
// an empty value leaves the versions already in the vault alone. Writing always adds a new version
// (the reference follows the latest), so a value that carries the rotation form is a rotation.
//
// Purge protection keeps a deleted vault's name reserved for softDeleteRetentionInDays. After
// `azd down`, createMode 'recover' brings the soft-deleted vault back, with every secret version.

@description('Name of the Key Vault (3-24 letters, digits and dashes).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the Key Vault.')
param location string

@description('Tags applied to the Key Vault.')
param tags { *: string }

@description('Days a deleted vault or secret stays recoverable. With purge protection on, the vault name stays taken this long after deletion.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('default: create the vault (fails while a soft-deleted vault holds the name). recover: bring back the soft-deleted vault of this name after `azd down`, with its secrets.')
@allowed(['default', 'recover'])
param createMode string

@description('Names of the secrets the app reads through Key Vault references.')
@minLength(1)
param secretNames string[]

@description('Secret values by secret name. A missing or empty value writes nothing and keeps the versions already in the vault (a rotation done there survives); a value is stored as a new version.')
@secure()
param secretValues { *: string }

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    createMode: createMode
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }

  resource secrets 'secrets' = [
    for secretName in secretNames: if (!empty(secretValues[?secretName] ?? '')) {
      name: secretName
      properties: {
        value: secretValues[secretName]
      }
    }
  ]
}

output name string = vault.name
@description('Data-plane URI of the vault, ending in a slash (https://<name>.vault.azure.net/).')
output uri string = vault.properties.vaultUri
