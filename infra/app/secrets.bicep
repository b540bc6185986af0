// Checks of the optional secret parameters, imported by main.bicep. Empty is valid and means "keep what
// Key Vault holds" (keyvault.bicep writes nothing), so @minLength cannot express the rule; the check
// runs while ARM validates the deployment, before any resource is created. The message never contains
// the value.

@export()
@description('Returns value when it is empty (keep the secret in Key Vault) or at least minLength characters long; otherwise fails naming parameterName.')
func checkedSecret(value string, parameterName string, minLength int) string =>
  empty(value) || length(value) >= minLength
    ? value
    : fail('${parameterName} is shorter than ${minLength} characters: give the full value (e.g. openssl rand -base64 32), or leave it empty to keep the secret already in Key Vault.')

@description('The keys of a key list (a bare base64 key, or the rotation form id:base64;id:base64) without their ids.')
func keysOf(value string) string[] => filter(map(split(value, ';'), entry => trim(last(split(entry, ':')))), key => !empty(key))

@export()
@description('Returns value when it shares no key with other (either may be a bare key or the rotation form, either may be empty); otherwise fails naming both parameters, never a value.')
func checkedDistinctSecret(value string, parameterName string, other string, otherName string) string =>
  empty(intersection(keysOf(value), keysOf(other)))
    ? value
    : fail('${parameterName} contains a key that is also in ${otherName}: give it its own key (openssl rand -base64 32)')

@export()
@description('Returns value when it is empty (keep the secret in Key Vault) or holds PKCS#8 PEM private-key blocks only; otherwise fails naming parameterName, never the value. The app checks each key (P-256, well-formed) at start-up.')
func checkedPem(value string, parameterName string) string =>
  empty(value) || (startsWith(trim(value), '-----BEGIN PRIVATE KEY-----') && endsWith(trim(value), '-----END PRIVATE KEY-----'))
    ? value
    : fail('${parameterName} must be PKCS#8 PEM: one or more -----BEGIN PRIVATE KEY----- blocks (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256), or empty to keep the secret already in Key Vault.')

@export()
@description('Returns password when it goes with smtpUser: both empty, both set, or a user whose password Key Vault already holds (inKeyVault); otherwise fails naming the parameters, never the value. An empty password means "keep the version in Key Vault", so only the flag tells a redeploy from a first deployment, which would reference a secret nobody wrote.')
func checkedSmtpPassword(password string, smtpUser string, inKeyVault bool) string =>
  !empty(password) && empty(smtpUser)
    ? fail('smtpPassword is set but smtpUser is empty: set both (SMTP authentication) or neither.')
    : !empty(smtpUser) && empty(password) && !inKeyVault
        ? fail('smtpUser is set but smtpPassword is empty: give the password (AUTH_SMTP_PASSWORD; it is stored as the Key Vault secret smtp-password), or set smtpPasswordInKeyVault (AUTH_SMTP_PASSWORD_IN_KEY_VAULT=true) when that secret already holds it.')
        : password
