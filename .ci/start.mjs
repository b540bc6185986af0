// `npm start`: Azurite (data in ./.azurite) + Serverless.Standalone on http://localhost:7071.
// Uses local.settings.json, created from local.settings.sample.json when missing. Ctrl+C stops both.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const azuriteBin = join(root, 'node_modules', '.bin', 'azurite');

if (!existsSync(azuriteBin)) {
  console.log('Installing Azurite (npm ci)...');
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}

const settings = join(root, 'local.settings.json');
if (!existsSync(settings)) {
  copyFileSync(join(root, 'local.settings.sample.json'), settings);
  console.log('Created local.settings.json from local.settings.sample.json (local-only values; git-ignored).');
}

const children = [];
const stopAll = (code) => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exitCode = code;
};
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const azurite = spawn(azuriteBin, [
  '--location', join(root, '.azurite'), '--silent', '--skipApiVersionCheck',
  '--blobHost', '127.0.0.1', '--queueHost', '127.0.0.1', '--tableHost', '127.0.0.1',
], { cwd: root, stdio: 'inherit' });
children.push(azurite);
azurite.on('exit', (code) => { if (children.length === 1 || code) { console.error(`Azurite exited (${code}).`); stopAll(code ?? 1); } });

await waitForPort(10002);
console.log('Azurite is listening on 127.0.0.1:10000-10002 (data in .azurite/).');

// Build, then run the dll from the repository root: `dotnet run` would change the working directory,
// and local.settings.json is read from the working directory (as `func start` does).
const project = join(root, 'functions', 'Serverless.Standalone');
const build = spawnSync('dotnet', ['build', project, '-c', 'Release', '-nologo', '-v', 'q', '-o', join(project, 'bin', 'local')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) stopAll(build.status ?? 1);
// The API reference page (/scalar) is on for local runs only; deployments leave it off. Development
// (unless ASPNETCORE_ENVIRONMENT is already set) is what lets the sample keys of local.settings.json start.
const api = spawn('dotnet', [join(project, 'bin', 'local', 'Serverless.Standalone.dll'), ...process.argv.slice(2)], {
  cwd: root, stdio: 'inherit', env: { ApiReference__Enabled: 'true', ASPNETCORE_ENVIRONMENT: 'Development', ...process.env },
});
children.push(api);
api.on('exit', (code) => stopAll(code ?? 0));

function waitForPort(port, deadline = Date.now() + 30000) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => { socket.end(); resolve(); });
      socket.on('error', () => (Date.now() > deadline ? reject(new Error(`port ${port} not open`)) : setTimeout(attempt, 200)));
    };
    attempt();
  });
}
