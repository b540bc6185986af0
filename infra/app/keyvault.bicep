// Key Vault in RBAC mode holding the JWT signing key. The Function App reads it through a Key Vault
// reference with its user-assigned identity (Key Vault Secrets User on this one secret, rbac.bicep).

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

@description('Name of the secret that holds the JWT signing key.')
@minLength(1)
@maxLength(127)
param signingKeySecretName string

@description('JWT signing key: base64 of at least 32 random bytes (openssl rand -base64 32).')
@secure()
@minLength(44)
param signingKey string

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
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }

  resource signingKeySecret 'secrets' = {
    name: signingKeySecretName
    properties: {
      value: signingKey
      contentType: 'base64 HMAC-SHA256 key for Auth__Jwt__SigningKey'
    }
  }
}

output name string = vault.name
output signingKeySecretName string = vault::signingKeySecret.name
@description('Versionless secret URI: the Key Vault reference follows the latest version after a rotation.')
output signingKeySecretUri string = vault::signingKeySecret.properties.secretUri
