// Social sign-in (issue 30): the shape of an OpenID Connect provider parameter and the checks main.bicep runs on
// the providers and their client secrets. Like the other checks, they run while ARM validates the deployment,
// before any resource is created, and refuse what the app would refuse at start-up (taking every function down)
// or what would point the app at a secret nobody wrote. A message names providers and parameters, never a secret.
//
// Provider names: the app takes lower-case letters, digits and hyphens, but App Service drops hyphens from app
// setting names (Learn, "Configure an App Service app": letters, digits, periods and underscores only), so
// Auth__Oidc__Providers__my-idp__ClientId would reach the app as provider "myidp". In Azure a name is letters and
// digits only.

import { onlyCharacters, isAuthority } from 'origins.bicep'

@export()
@sealed()
@description('An OpenID Connect provider users may sign in with: the app settings Auth__Oidc__Providers__<name>__*. Its client secret is not here but in the secure parameter oidcClientSecrets, under the same name.')
type oidcProvider = {
  @description('Provider name in the app settings and in the redirect URI (<app URL>/api/auth/oidc/<name>/callback): 1-32 lower-case letters and digits. Built in: google and microsoft (the app knows their authority and whether to trust their email addresses).')
  @minLength(1)
  @maxLength(32)
  name: string

  @description('Issuer URL serving /.well-known/openid-configuration, https (Auth__Oidc__Providers__<name>__Authority). Optional for google (https://accounts.google.com) and microsoft (https://login.microsoftonline.com/common/v2.0); required for any other name.')
  @maxLength(2048)
  authority: string?

  @description('Client (application) id registered at the provider (Auth__Oidc__Providers__<name>__ClientId).')
  @maxLength(256)
  clientId: string

  @description('Space-separated scopes (Auth__Oidc__Providers__<name>__Scopes). Absent: the app\'s default, openid email profile.')
  @maxLength(1024)
  scopes: string?

  @description('Name the frontend shows for the provider (Auth__Oidc__Providers__<name>__DisplayName). Absent: the app\'s default.')
  @maxLength(100)
  displayName: string?

  @description('Whether a verified email address from this provider may create an account with a confirmed address (Auth__Oidc__Providers__<name>__TrustEmail; never an automatic link to an existing account). Absent: the app\'s default, true for google only.')
  trustEmail: bool?

  @description('The Key Vault secret oidc-<name>-client-secret already holds the client secret (an earlier deployment wrote it), so oidcClientSecrets may leave this provider out; a secret given there is still written as a new version.')
  clientSecretInKeyVault: bool?
}

@description('True when name can be a provider name in an App Service app setting: 1-32 lower-case letters and digits.')
func isProviderName(name string) bool =>
  !empty(name) && length(name) <= 32 && onlyCharacters(name, 'abcdefghijklmnopqrstuvwxyz0123456789')

@export()
@description('True when url is an absolute https URL with a lower-case host[:port], an optional path and no query, fragment or whitespace.')
func isHttpsUrl(url string) bool =>
  take(url, 8) == 'https://' && isAuthority(first(split(substring(url, min(8, length(url))), '/'))) && !contains(url, '?') && !contains(url, '#') && !contains(url, ' ')

@description('The provider names, each once.')
func namesOf(providers oidcProvider[]) string[] => union(map(providers, p => p.name), [])

@description('Names that are not 1-32 lower-case letters and digits.')
func misnamed(providers oidcProvider[]) string[] => map(filter(providers, p => !isProviderName(p.name)), p => p.name)

@description('Names given more than once, each once.')
func duplicated(providers oidcProvider[]) string[] => filter(namesOf(providers), n => length(filter(providers, p => p.name == n)) > 1)

@description('Providers whose authority is given but is not an https URL.')
func withBadAuthority(providers oidcProvider[]) string[] =>
  map(filter(providers, p => !empty(p.?authority ?? '') && !isHttpsUrl(p.?authority ?? '')), p => p.name)

@description('Providers without an authority whose name the app has no default authority for (only google and microsoft are built in).')
func withoutAuthority(providers oidcProvider[]) string[] =>
  map(filter(providers, p => empty(p.?authority ?? '') && !contains(['google', 'microsoft'], p.name)), p => p.name)

@description('Providers without a client id.')
func withoutClientId(providers oidcProvider[]) string[] => map(filter(providers, p => empty(trim(p.clientId))), p => p.name)

@export()
@description('Returns providers when the app can use every one of them in Azure; otherwise fails naming the providers at fault: a name that is not 1-32 lower-case letters and digits, a name given twice, an authority that is not an https URL, a provider other than google or microsoft without an authority, or an empty clientId.')
func checkedOidcProviders(providers oidcProvider[]) oidcProvider[] =>
  !empty(misnamed(providers))
    ? fail('oidcProviders: a provider name is 1-32 lower-case letters and digits (it is part of the redirect URI and of app setting names, from which App Service drops hyphens); not: ${join(misnamed(providers), ', ')}')
    : !empty(duplicated(providers))
        ? fail('oidcProviders lists a provider more than once: ${join(duplicated(providers), ', ')}')
        : !empty(withBadAuthority(providers))
            ? fail('oidcProviders: an authority is the issuer\'s https URL with a lower-case host, e.g. https://login.example.com/tenant, without query or fragment; not the one of: ${join(withBadAuthority(providers), ', ')}')
            : !empty(withoutAuthority(providers))
                ? fail('oidcProviders: a provider other than google or microsoft needs an authority (the issuer URL that serves /.well-known/openid-configuration): ${join(withoutAuthority(providers), ', ')}')
                : !empty(withoutClientId(providers))
                    ? fail('oidcProviders: every provider needs the clientId registered at the provider; missing for: ${join(withoutClientId(providers), ', ')}')
                    : providers

@description('Names in secrets (provider name to client secret) that are no provider.')
func strayNames(secrets { *: string }, providers oidcProvider[]) string[] =>
  filter(objectKeys(secrets), name => !contains(namesOf(providers), name))

@export()
@description('Returns the client secret of provider (one of providers, checked by checkedOidcProviders) from secrets (provider name to secret); empty when none is given and the provider says Key Vault already holds it (clientSecretInKeyVault). Otherwise fails naming the provider, or a name in secrets that is no provider. The message never contains a secret.')
func checkedOidcClientSecret(secrets { *: string }, provider oidcProvider, providers oidcProvider[]) string =>
  !empty(strayNames(secrets, providers))
    ? fail('oidcClientSecrets has a secret for a provider that oidcProviders does not list: ${join(strayNames(secrets, providers), ', ')}')
    : empty(secrets[?provider.name] ?? '') && !(provider.?clientSecretInKeyVault ?? false)
        ? fail('oidcProviders: ${provider.name} has no client secret: give it in oidcClientSecrets (AUTH_OIDC_CLIENT_SECRETS, e.g. {"${provider.name}": "<secret>"}; it is stored as the Key Vault secret oidc-${provider.name}-client-secret), or set clientSecretInKeyVault on the provider when that secret already holds it.')
        : secrets[?provider.name] ?? ''
