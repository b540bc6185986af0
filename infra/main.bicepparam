// Parameters for main.bicep, read from the environment so nothing secret is committed.
// azd sets AZURE_ENV_NAME and AZURE_LOCATION and loads the rest from .azure/<env>/.env (`azd env set NAME value`).
// With plain az CLI, export the same variables before `az deployment group create`.
using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')
param location = readEnvironmentVariable('AZURE_LOCATION')

// Comma-separated frontend origins, e.g. "https://app.example.com,https://admin.example.com".
param allowedOrigins = map(split(readEnvironmentVariable('AUTH_ALLOWED_ORIGINS'), ','), origin => trim(origin))

// openssl rand -base64 32
param jwtSigningKey = readEnvironmentVariable('AUTH_JWT_SIGNING_KEY')

// Optional; empty means the API base URL.
param jwtIssuer = readEnvironmentVariable('AUTH_JWT_ISSUER', '')
param jwtAudience = readEnvironmentVariable('AUTH_JWT_AUDIENCE', '')

// None (default: frontend on another site) or Lax (frontend and API under one registrable domain).
param cookieSameSite = readEnvironmentVariable('AUTH_COOKIE_SAMESITE', 'None')
