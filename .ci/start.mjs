// `npm start`: builds the browser client (clients/js/dist, for pages that import it), then runs Azurite (data in
// ./.azurite), maildev (the local SMTP server with a web inbox) and Serverless.Standalone on http://localhost:7071.
// Uses local.settings.json, created from local.settings.sample.json when missing. Ctrl+C stops all three.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

if (!existsSync(bin('azurite')) || !existsSync(bin('maildev')) || !existsSync(bin('tsc'))) {
  console.log('Installing Azurite, maildev and TypeScript (npm ci)...');
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}

// The browser client, built (tsc) before anything is served, and copied where the demo page imports it.
const client = spawnSync('npm', ['run', '--silent', 'build'], { cwd: join(root, 'clients', 'js'), stdio: 'inherit' });
if (client.status !== 0) {
  console.error('The browser client (clients/js) did not build: see the errors above.');
  process.exit(client.status ?? 1);
}
console.log('Built the browser client: clients/js/dist.');
const vendored = spawnSync(process.execPath, [join(root, '.ci', 'demo-client.mjs')], { stdio: 'inherit' });
if (vendored.status !== 0) process.exit(vendored.status ?? 1);

const settingsFile = join(root, 'local.settings.json');
const sampleFile = join(root, 'local.settings.sample.json');
if (!existsSync(settingsFile)) {
  copyFileSync(sampleFile, settingsFile);
  console.log('Created local.settings.json from local.settings.sample.json (local-only values; git-ignored).');
}
const values = readValues(settingsFile) ?? {};
const missing = Object.keys(readValues(sampleFile) ?? {}).filter((key) => !(key in values));
if (Object.keys(values).length > 0 && missing.length > 0) {
  // An older local.settings.json: the API would stop at start-up naming the first missing required one.
  console.warn(`local.settings.json lacks settings the sample has: ${missing.join(', ')}. Copy them from local.settings.sample.json (or delete local.settings.json to recreate it).`);
}

const children = [];
let stopping = false;
const stopAll = (code) => {
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  process.exitCode ??= code;
};
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

/** A helper server: when it dies on its own, the rest stops too (the API needs it). */
function startServer(name, args) {
  const child = spawn(bin(name), args, { cwd: root, stdio: 'inherit' });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${code ?? signal}): is one of its ports in use by another process?`);
      stopAll(code || 1);
    }
  });
  return child;
}

// Full Azurite: the API uses tables, and the mail queue.
startServer('azurite', [
  '--location', join(root, '.azurite'), '--silent', '--skipApiVersionCheck',
  '--blobHost', '127.0.0.1', '--queueHost', '127.0.0.1', '--tableHost', '127.0.0.1',
]);

// maildev binds every interface unless told otherwise: loopback only, for SMTP and the inbox alike.
// Its SMTP port is the one the API sends to; the inbox port is a local-only key of the same file.
const smtpPort = port(values.Auth__Email__SmtpPort, 1025);
const webPort = port(values.Local__MaildevWebPort, 1080);
startServer('maildev', ['--ip', '127.0.0.1', '--web-ip', '127.0.0.1', '-s', String(smtpPort), '-w', String(webPort), '--silent']);

try {
  await Promise.all([10001, 10002, smtpPort, webPort].map((p) => waitForPort(p)));
} catch (error) {
  console.error(error.message);
  stopAll(1);
}

if (!stopping) {
  console.log('Azurite is listening on 127.0.0.1:10000-10002 (data in .azurite/).');
  console.log(`maildev: SMTP on 127.0.0.1:${smtpPort}; read the mail the API sends at http://127.0.0.1:${webPort} (JSON: GET /api/email).`);
  runApi();
}

function runApi() {
  // Build, then run the dll from the repository root: `dotnet run` would change the working directory,
  // and local.settings.json is read from the working directory (as `func start` does).
  const project = join(root, 'functions', 'Serverless.Standalone');
  const output = join(project, 'bin', 'local');
  const build = spawnSync('dotnet', ['build', project, '-c', 'Release', '-nologo', '-v', 'q', '-o', output], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    stopAll(build.status ?? 1);
    return;
  }
  // The API reference page (/scalar) is on for local runs only; deployments leave it off. Development
  // (unless ASPNETCORE_ENVIRONMENT is already set) is what lets the sample keys of local.settings.json start.
  const api = spawn('dotnet', [join(output, 'Serverless.Standalone.dll'), ...process.argv.slice(2)], {
    cwd: root, stdio: 'inherit', env: { ApiReference__Enabled: 'true', ASPNETCORE_ENVIRONMENT: 'Development', ...process.env },
  });
  children.push(api);
  api.on('exit', (code) => stopAll(code ?? 0));
}

function readValues(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8')).Values ?? {};
  } catch (error) {
    console.warn(`Could not read ${file} (${error.message}); maildev uses its default ports.`);
    return null;
  }
}

function port(value, fallback) {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 && number < 65536 ? number : fallback;
}

function waitForPort(port, deadline = Date.now() + 30000) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (stopping) return resolve();
      const socket = createConnection({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(); });
      socket.on('error', () => (Date.now() > deadline ? reject(new Error(`port ${port} not open within 30 s`)) : setTimeout(attempt, 200)));
    };
    attempt();
  });
}
