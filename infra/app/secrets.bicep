// Check of an optional secret parameter, imported by main.bicep. Empty is valid and means "keep what
// Key Vault holds" (keyvault.bicep writes nothing), so @minLength cannot express the rule; the check
// runs while ARM validates the deployment, before any resource is created. The message never contains
// the value.

@export()
@description('Returns value when it is empty (keep the secret in Key Vault) or at least minLength characters long; otherwise fails naming parameterName.')
func checkedSecret(value string, parameterName string, minLength int) string =>
  empty(value) || length(value) >= minLength
    ? value
    : fail('${parameterName} is shorter than ${minLength} characters: give the full value (e.g. openssl rand -base64 32), or leave it empty to keep the secret already in Key Vault.')
