// `npm pack` gives a tarball of the ES modules and their .d.ts (and nothing of src, tests or scripts); installed from
// that tarball into a scratch project, a usage sample type-checks with the repository's TypeScript, its wrong usages
// do not, and the module imports.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
const sample = fileURLToPath(new URL('./pack/usage.ts', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let work;
let packed;
let project;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'auth-client-pack-'));
  // dist/ is built by `npm test` before the tests run; prepack (the build) is skipped so no test file sees dist/ vanish.
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: packageDir, encoding: 'utf8' });
  [packed] = JSON.parse(out);
  project = join(work, 'app');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }));
  execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed.filename)], { cwd: project, stdio: 'pipe' });
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds the ES modules with their .d.ts, the README and the licence, and nothing else', () => {
  const files = packed.files.map((file) => file.path).sort();
  assert.equal(packed.name, '@serverless-auth/client');
  for (const file of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/generated/openapi.d.ts']) {
    assert.ok(files.includes(file), `${file} is in the tarball`);
  }
  for (const file of files) {
    assert.ok(['package.json', 'README.md', 'LICENSE'].includes(file) || /^dist\/.+\.(js|d\.ts)$/.test(file), `${file} does not belong in the tarball`);
    if (file.endsWith('.js')) assert.ok(files.includes(file.replace(/\.js$/, '.d.ts')), `${file} has its .d.ts`);
  }
  const listing = execFileSync('tar', ['-tzf', join(work, packed.filename)], { encoding: 'utf8' }).trim().split('\n').map((path) => path.replace(/^package\//, '')).sort();
  assert.deepEqual(listing, files);
  const manifest = JSON.parse(readFileSync(join(project, 'node_modules/@serverless-auth/client/package.json'), 'utf8'));
  assert.equal(manifest.type, 'module');
  assert.equal(manifest.dependencies, undefined, 'no runtime dependencies');
});

test('the installed package imports as an ES module', () => {
  const script = `
    import { createAuthClient, AuthError } from '@serverless-auth/client';
    const client = createAuthClient({ baseUrl: 'https://auth.example.com/', locks: null, BroadcastChannel: null });
    console.log(JSON.stringify([client.baseUrl, typeof client.passkeys.signIn, new AuthError({ status: 429, title: 't', retryAfter: 3 }).retryAfter]));
    client.close();`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), ['https://auth.example.com', 'function', 3]);
});

for (const [label, options] of [['NodeNext', { module: 'NodeNext', moduleResolution: 'NodeNext' }], ['a bundler', { module: 'ESNext', moduleResolution: 'Bundler' }]]) {
  test(`a usage sample type-checks against the installed package (module resolution: ${label}), its wrong usages do not`, () => {
    const compilerOptions = {
      ...options, target: 'ES2022', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [], strict: true, noEmit: true,
      exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false,
    };
    copyFileSync(sample, join(project, 'usage.ts'));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['usage.ts'] }));
    const good = spawnSync(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], { cwd: project, encoding: 'utf8' });
    assert.equal(good.status, 0, `usage.ts should type-check:\n${good.stdout}${good.stderr}`);

    // The same file without its @ts-expect-error directives: each line that followed one must be an error.
    const lines = readFileSync(sample, 'utf8').split('\n');
    const kept = [];
    const expected = new Set();
    for (const line of lines) {
      if (line.trim().startsWith('// @ts-expect-error')) expected.add(kept.length + 1);
      else kept.push(line);
    }
    assert.ok(expected.size >= 8, 'the sample has its wrong usages');
    writeFileSync(join(project, 'wrong.ts'), kept.join('\n'));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['wrong.ts'] }));
    const bad = spawnSync(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], { cwd: project, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    const errorLines = new Set([...bad.stdout.matchAll(/^wrong\.ts\((\d+),\d+\): error TS\d+/gm)].map((match) => Number(match[1])));
    assert.deepEqual([...errorLines].sort((a, b) => a - b), [...expected].sort((a, b) => a - b), bad.stdout);
  });
}
