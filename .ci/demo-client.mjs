// Puts the built browser client (clients/js/dist) where the demo page imports it: tests/demo/vendor/serverless-auth-client
// (git-ignored). The demo is served as a plain folder (python3 -m http.server --directory tests/demo, or the browser
// tests' static server), so the module must be inside it. Run after `npm run build` in clients/js; npm start and
// npm test both do.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'clients', 'js', 'dist');
const vendored = join(root, 'tests', 'demo', 'vendor', 'serverless-auth-client');

if (!existsSync(join(built, 'index.js'))) {
  console.error('clients/js/dist/index.js is missing: build the client first (cd clients/js && npm run build).');
  process.exit(1);
}
rmSync(vendored, { recursive: true, force: true });
cpSync(built, vendored, { recursive: true, filter: (source) => !source.endsWith('.d.ts') });
console.log('The demo page imports the built client from tests/demo/vendor/serverless-auth-client.');
