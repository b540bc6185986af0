// src/generated/openapi.ts is what openapi-typescript makes of functions/openapi.json today: after an API change,
// `npm run generate` (in clients/js) and commit the result.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { committed, generate } from '../scripts/generate.mjs';

test('the committed types equal a fresh generation from functions/openapi.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auth-client-types-'));
  try {
    const fresh = join(dir, 'openapi.ts');
    generate(fresh);
    const want = readFileSync(fresh, 'utf8').split('\n');
    const have = readFileSync(committed, 'utf8').split('\n');
    const line = want.findIndex((text, i) => text !== have[i]);
    const at = line === -1 && want.length !== have.length ? Math.min(want.length, have.length) : line;
    assert.equal(at, -1, `src/generated/openapi.ts differs from the spec's types from line ${at + 1} `
      + `(committed: ${JSON.stringify(have[at])}, generated: ${JSON.stringify(want[at])}): run \`npm run generate\` in clients/js and commit it.`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
