// Validation of the CORS origins list, imported by main.bicep.
// main.bicep passes checkedOrigins(allowedOrigins) to the Function App's CORS and to Auth__AllowedOrigins,
// so ARM evaluates it while validating the deployment and a bad list stops everything before any
// resource is created. (A .bicepparam file cannot import a function that uses fail(), BCP452, so the
// check lives in the template, where it also protects `az deployment group create --parameters x.json`.)
// Bicep has no regular expressions, so ^https?://host(:port)?$ is spelled out with string functions,
// and every index is taken with first()/last() so no branch can fail on a short list.

@description('True when every character of value occurs in allowed.')
func onlyCharacters(value string, allowed string) bool =>
  empty(filter(map(range(0, length(value)), i => substring(value, i, 1)), c => !contains(allowed, c)))

@description('True when host is a lower-case DNS name or IPv4 address that neither starts nor ends with a dot or dash.')
func isHost(host string) bool =>
  !empty(host) && onlyCharacters(host, 'abcdefghijklmnopqrstuvwxyz0123456789.-') && !startsWith(host, '.') && !startsWith(host, '-') && !endsWith(host, '.') && !endsWith(host, '-')

@description('True when port is 1-5 decimal digits.')
func isPort(port string) bool => !empty(port) && length(port) <= 5 && onlyCharacters(port, '0123456789')

@description('True when authority is host or host:port.')
func isAuthority(authority string) bool =>
  length(split(authority, ':')) <= 2 && isHost(first(split(authority, ':'))) && (length(split(authority, ':')) == 1 || isPort(last(split(authority, ':'))))

@description('True when scheme is exactly http or https in lower case. (ARM startsWith() ignores case, so it cannot be used here; contains() and == do not.)')
func isScheme(scheme string) bool => onlyCharacters(scheme, 'hpst') && (scheme == 'http' || scheme == 'https')

@export()
@description('True when origin is a browser origin as sent in the Origin header: http(s)://host[:port] in lower case, without path, trailing slash, query, fragment, user info, whitespace or wildcard.')
func isValidOrigin(origin string) bool =>
  length(split(origin, '://')) == 2 && isScheme(first(split(origin, '://'))) && isAuthority(last(split(origin, '://')))

@export()
@description('Returns origins unchanged when the list is usable for credentialed CORS; otherwise fails with a message naming the bad entries.')
func checkedOrigins(origins string[]) string[] =>
  empty(origins)
    ? fail('allowedOrigins is empty: list the frontend origins (e.g. https://app.example.com) that may call the API with cookies.')
    : contains(origins, '*')
        ? fail('allowedOrigins contains \'*\': browsers refuse credentialed CORS with a wildcard origin; list each frontend origin instead.')
        : empty(filter(origins, o => !isValidOrigin(o)))
            ? origins
            : fail('allowedOrigins has malformed entries (expected http(s)://host[:port] in lower case, no path or trailing slash): ${join(filter(origins, o => !isValidOrigin(o)), ', ')}')
