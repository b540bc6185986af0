// Validation of the CORS origins list, of the mail link base (which must lie on one of them) and of the
// passkey relying party id and ceremony origins, imported by main.bicep (oidc.bicep imports the host checks).
// main.bicep passes checkedOrigins(allowedOrigins) to the Function App's CORS and to Auth__AllowedOrigins,
// so ARM evaluates it while validating the deployment and a bad list stops everything before any
// resource is created. (A .bicepparam file cannot import a function that uses fail(), BCP452, so the
// check lives in the template, where it also protects `az deployment group create --parameters x.json`.)
// Bicep has no regular expressions, so ^https://host(:port)?$ (and the loopback exception
// ^http://(localhost|127.0.0.1)(:port)?$) is spelled out with string functions, and every index is
// taken with first()/last() so no branch can fail on a short list.
// Credentialed CORS sends the auth cookie to every listed origin, so a plain-http origin would let
// anyone on the network path script the API as the user: only a development server on this machine
// may use http.

@export()
@description('True when every character of value occurs in allowed.')
func onlyCharacters(value string, allowed string) bool =>
  empty(filter(map(range(0, length(value)), i => substring(value, i, 1)), c => !contains(allowed, c)))

@description('True when host is a lower-case DNS name or IPv4 address that neither starts nor ends with a dot or dash.')
func isHost(host string) bool =>
  !empty(host) && onlyCharacters(host, 'abcdefghijklmnopqrstuvwxyz0123456789.-') && !startsWith(host, '.') && !startsWith(host, '-') && !endsWith(host, '.') && !endsWith(host, '-')

@description('True when port is 1-5 decimal digits.')
func isPort(port string) bool => !empty(port) && length(port) <= 5 && onlyCharacters(port, '0123456789')

@export()
@description('True when authority is host or host:port.')
func isAuthority(authority string) bool =>
  length(split(authority, ':')) <= 2 && isHost(first(split(authority, ':'))) && (length(split(authority, ':')) == 1 || isPort(last(split(authority, ':'))))

@description('True when authority names this machine (localhost or 127.0.0.1, with or without a port): the only hosts allowed over http.')
func isLoopback(authority string) bool => contains(['localhost', '127.0.0.1'], first(split(authority, ':')))

@description('True when scheme and authority may be used with credentials: https anywhere, http only for loopback. (ARM startsWith() ignores case, so it cannot be used here; == does not.)')
func isAllowedScheme(scheme string, authority string) bool =>
  onlyCharacters(scheme, 'hpst') && (scheme == 'https' || (scheme == 'http' && isLoopback(authority)))

@export()
@description('True when origin is a browser origin as sent in the Origin header: https://host[:port], or http://localhost[:port] / http://127.0.0.1[:port], in lower case, without path, trailing slash, query, fragment, user info, whitespace or wildcard.')
func isValidOrigin(origin string) bool =>
  length(split(origin, '://')) == 2 && isAuthority(last(split(origin, '://'))) && isAllowedScheme(first(split(origin, '://')), last(split(origin, '://')))

@export()
@description('Returns origins unchanged when the list is usable for credentialed CORS; otherwise fails with a message naming the bad entries.')
func checkedOrigins(origins string[]) string[] =>
  empty(origins)
    ? fail('allowedOrigins is empty: list the frontend origins (e.g. https://app.example.com) that may call the API with cookies.')
    : contains(origins, '*')
        ? fail('allowedOrigins contains \'*\': browsers refuse credentialed CORS with a wildcard origin; list each frontend origin instead.')
        : empty(filter(origins, o => !isValidOrigin(o)))
            ? origins
            : fail('allowedOrigins has malformed or insecure entries (expected https://host[:port] in lower case, no path or trailing slash; http only for http://localhost[:port] or http://127.0.0.1[:port]): ${join(filter(origins, o => !isValidOrigin(o)), ', ')}')

@description('True when url is origin itself or a path under it (compared with ==, which, unlike startsWith(), respects case).')
func isUnderOrigin(url string, origin string) bool => url == origin || take(url, length(origin) + 1) == '${origin}/'

@export()
@description('Returns url when it is an absolute URL on one of origins (already checked by checkedOrigins), without query, fragment or whitespace; otherwise fails naming the parameter. Mails carry sign-in tokens to this address, so it may only lead to a frontend the API already trusts (the app applies the same rule at start-up).')
func checkedLinkBaseUrl(url string, origins string[]) string =>
  !contains(url, '?') && !contains(url, '#') && !contains(url, ' ') && !empty(filter(origins, origin => isUnderOrigin(url, origin)))
    ? url
    : fail('emailLinkBaseUrl (${url}) must be one of allowedOrigins followed by an optional path, e.g. https://app.example.com/auth, without query or fragment: mails link to <base>/confirm, <base>/reset and <base>/forgot with sign-in tokens.')

@description('The host of an origin checked by isValidOrigin: scheme and port dropped.')
func originHost(origin string) string => first(split(last(split(origin, '://')), ':'))

@description('True when a page on origin (checked by isValidOrigin, so lower case, https or loopback http) may use the passkey relying party id rpId: its host is rpId or a subdomain of it (the app\'s rule, and the browser\'s).')
func isUnderRpId(origin string, rpId string) bool => originHost(origin) == rpId || endsWith(originHost(origin), '.${rpId}')

@export()
@description('Returns rpId when it is empty (passkeys off) or a lower-case DNS name that is not an IPv4 address; otherwise fails naming the parameter. The app refuses a public suffix (com, azurewebsites.net) at start-up; that list is not repeated here.')
func checkedRpId(rpId string) string =>
  empty(rpId) || (isHost(rpId) && !onlyCharacters(rpId, '0123456789.'))
    ? rpId
    : fail('passkeyRpId (${rpId}) must be a registrable domain in lower case such as example.com (the frontend\'s host or a parent of it), not an IP address; empty turns passkeys off.')

@export()
@description('Returns origins when they are usable as passkey ceremony origins for rpId (checked by checkedRpId) next to allowedOrigins (checked by checkedOrigins); otherwise fails naming the bad entries. The app applies the same rules at start-up and refuses to start: with no RP id, no origins; each origin a browser origin whose host is the RP id or under it; and, when none are listed, at least one allowed origin under the RP id (the default).')
func checkedCeremonyOrigins(origins string[], rpId string, allowedOrigins string[]) string[] =>
  empty(rpId)
    ? empty(origins)
        ? origins
        : fail('passkeyOrigins is set but passkeyRpId is not: set the relying party id (a registrable domain) to turn passkeys on.')
    : !empty(filter(origins, o => !isValidOrigin(o) || !isUnderRpId(o, rpId)))
        ? fail('passkeyOrigins must list browser origins (https://host[:port] in lower case, no path or trailing slash; http only for http://localhost[:port]) whose host is ${rpId} or under it; not: ${join(filter(origins, o => !isValidOrigin(o) || !isUnderRpId(o, rpId)), ', ')}')
        : empty(origins) && empty(filter(allowedOrigins, o => isUnderRpId(o, rpId)))
            ? fail('passkeyRpId (${rpId}): no frontend origin may use it. Set passkeyOrigins, or list an origin whose host is ${rpId} or under it in allowedOrigins.')
            : origins
