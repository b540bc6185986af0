// The storage account behind the Function App: host storage (AzureWebJobsStorage), the Flex
// Consumption deployment container, the app's tables and its mail queues. Shared keys are disabled, so every client
// (host, deployment, app) authenticates with the managed identity.

@description('Name of the storage account (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the storage account.')
param location string

@description('Tags applied to the storage account.')
param tags { *: string }

@description('Blob container that holds the Flex Consumption deployment package.')
@minLength(3)
@maxLength(63)
param deploymentContainerName string

@description('Names of the tables the app uses (users, revoked tokens, login throttle, sessions, mail tokens, mail quotas).')
@minLength(1)
param tableNames string[]

@description('Names of the queues the app uses: the mail queue and its poison queue. Created here so the identity\'s queue-scoped role has a scope, and so the trigger never needs account-wide rights to create them.')
@minLength(1)
param queueNames string[]

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    dnsEndpointType: 'Standard'
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource tables 'tables' = [
      for tableName in tableNames: {
        name: tableName
      }
    ]
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource queues 'queues' = [
      for queueName in queueNames: {
        name: queueName
      }
    ]
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output deploymentContainerName string = storage::blobService::deploymentContainer.name
