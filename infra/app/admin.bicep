// The admin API (issue 31): the check main.bicep runs on who may call it. Like the other checks it runs while ARM
// validates the deployment, before any resource is created, and refuses what the app would refuse at start-up
// (AdminOptionsValidator, taking every function down). In Azure the authority is https only: the app's loopback
// exception is for a local issuer.

import { isHttpsUrl } from 'oidc.bicep'

@description('url in lower case without one trailing slash, as the app compares issuers.')
func normalizedUrl(url string) string => toLower(endsWith(url, '/') ? take(url, length(url) - 1) : url)

@description('True when url is one of ownIssuers, compared as the app compares them (case and a trailing slash ignored).')
func isOwn(url string, ownIssuers string[]) bool => contains(map(ownIssuers, own => normalizedUrl(own)), normalizedUrl(url))

@export()
@description('Returns authority when the admin API is off (authority, issuers and audiences all empty) or when the app can use it: an https URL, with at least one audience, neither it nor an issuer being one of ownIssuers (this app\'s issuer, or what it would default to). Otherwise fails naming the parameter.')
func checkedAuthority(authority string, issuers string[], audiences string[], ownIssuers string[]) string =>
  empty(authority)
    ? empty(issuers) && empty(audiences)
        ? authority
        : fail('adminIssuers or adminAudiences is set but adminAuthority is not: set the admin token issuer\'s authority to turn the admin API on.')
    : !isHttpsUrl(authority)
        ? fail('adminAuthority (${authority}) must be the admin token issuer\'s https URL with a lower-case host, without query or fragment, serving /.well-known/openid-configuration (Entra ID: its login endpoint, then <tenant id>/v2.0).')
        : empty(filter(audiences, audience => !empty(trim(audience))))
            ? fail('adminAudiences is empty: adminAuthority needs the aud values admin tokens carry (Entra ID: the app registration\'s client id for v2 tokens, its Application ID URI such as api://<client id> for v1).')
            : isOwn(authority, ownIssuers) || !empty(filter(issuers, issuer => isOwn(issuer, ownIssuers)))
                ? fail('adminAuthority and adminIssuers must not be this app\'s own issuer (${join(ownIssuers, ' or ')}): a user\'s session token must never pass as an admin\'s; admin tokens come from another issuer, such as Entra ID.')
                : authority
