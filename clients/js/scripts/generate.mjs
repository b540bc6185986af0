// `npm run generate`: src/generated/openapi.ts from the API's committed OpenAPI document (functions/openapi.json),
// with openapi-typescript as pinned by the repository root's package-lock.json. Run it after the API changes and
// commit the result: test/generated.test.mjs fails while the committed file differs from a fresh generation.
// `node scripts/generate.mjs <file>` writes to <file> instead (what that test does).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const spec = fileURLToPath(new URL('../../../functions/openapi.json', import.meta.url));
export const committed = fileURLToPath(new URL('../src/generated/openapi.ts', import.meta.url));

/** Writes the types for the spec to <output>; throws with the generator's output when it fails. */
export function generate(output) {
  const manifest = createRequire(import.meta.url).resolve('openapi-typescript/package.json');
  const cli = join(dirname(manifest), JSON.parse(readFileSync(manifest, 'utf8')).bin['openapi-typescript']);
  const run = spawnSync(process.execPath, [cli, spec, '--output', output], { encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(`openapi-typescript failed (${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  generate(process.argv[2] ?? committed);
}
