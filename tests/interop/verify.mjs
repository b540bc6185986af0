// Verifies access tokens the way an independent Node API would: jose's remote JWKS (fetched and cached
// from our jwks.json) and jwtVerify, pinned to ES256, our issuer and audience.
// Usage: node tests/interop/verify.mjs <jwks url> <issuer> <audience>
// stdin: a JSON object { "<case name>": "<token>", ... }; stdout: { "<case name>": "valid:<sub>" | "<jose error code>" }.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [jwksUrl, issuer, audience] = process.argv.slice(2);
if (!jwksUrl || !issuer || !audience) {
  console.error('usage: verify.mjs <jwks url> <issuer> <audience> < tokens.json');
  process.exit(2);
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const tokens = JSON.parse(input);

const jwks = createRemoteJWKSet(new URL(jwksUrl));
const results = {};
for (const [name, token] of Object.entries(tokens)) {
  try {
    const { payload } = await jwtVerify(token, jwks, { issuer, audience, algorithms: ['ES256'] });
    results[name] = `valid:${payload.sub}`;
  } catch (error) {
    results[name] = error.code ?? error.name;
  }
}

console.log(JSON.stringify(results));
