// Least-privilege role assignments for the Function App's user-assigned identity, adjusted to what
// the app uses: host storage and the deployment package (blobs), the account's tables (the app creates and
// drops its per-minute revocation change-log tables; every table in this account is the app's), its mail queue and that queue's poison queue (each queue, not the account), its Key Vault
// secrets (each secret, not the vault) and telemetry. The timer trigger (storage clean-up) needs
// nothing more: the host keeps its schedule and lock in blob host storage.
// Each assignment is named guid(scope, principal, role) so a redeploy finds the same assignment
// instead of a duplicate.

@description('Principal (object) id of the user-assigned identity.')
@minLength(36)
@maxLength(36)
param principalId string

@description('Name of the storage account (host storage, deployment container, app tables).')
param storageAccountName string

@description('Names of the app\'s queues (the mail queue and its poison queue); Storage Queue Data Contributor is granted on each queue only.')
@minLength(1)
param queueNames string[]

@description('Name of the Key Vault that holds the app\'s secrets.')
param keyVaultName string

@description('Names of the secrets the app reads; Key Vault Secrets User is granted on each secret only.')
@minLength(1)
param keyVaultSecretNames string[]

@description('Name of the Application Insights component the app sends telemetry to with Entra ID auth.')
param applicationInsightsName string

// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  // Host storage (AzureWebJobsStorage: keys, leases) and the Flex Consumption deployment package.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // The app's tables (users, revoked tokens, login throttle, sessions, mail tokens and the revocation
  // change log, one table per minute), on the storage account: creating and deleting a table needs the
  // role above the table, and Learn ("Assign an Azure role for access to table data") documents table,
  // account, resource group, subscription and management group scopes, not the table service. The
  // account's blob and queue data are not covered: this role holds table data actions only. The clean-up
  // timer deletes expired rows and tables through the same role.
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // The mail queue and its poison queue, each queue only: the API enqueues (add), the queue trigger
  // reads, updates and deletes messages and moves a message that failed maxDequeueCount times to
  // <queue>-poison (add there). Learn's queue-trigger table lists Reader + Message Processor for the
  // trigger and Contributor or Message Sender for adding; Contributor covers all three on both queues.
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Read the app's secrets through Key Vault references, each secret only.
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  // Send telemetry to Application Insights with local auth disabled.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName

  resource queueService 'queueServices' existing = {
    name: 'default'
  }
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' existing = [
  for queueName in queueNames: {
    parent: storage::queueService
    name: queueName
  }
]

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2025-05-01' existing = [
  for secretName in keyVaultSecretNames: {
    parent: vault
    name: secretName
  }
]

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

resource storageTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}

resource storageQueueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queueName, i) in queueNames: {
    name: guid(queues[i].id, principalId, roles.storageQueueDataContributor)
    scope: queues[i]
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    }
  }
]

resource keyVaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (secretName, i) in keyVaultSecretNames: {
    name: guid(secrets[i].id, principalId, roles.keyVaultSecretsUser)
    scope: secrets[i]
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    }
  }
]

resource monitoringMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}
