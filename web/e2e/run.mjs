// Browser tests: starts the real chatstream server (or, with --mock, the small
// stand-in in e2e/mock-server.mjs) on an ephemeral port with a fresh data dir,
// runs Playwright against it with Debian's Chromium, and stops the server by PID.
//
//   npm run e2e                    # real server: $CHATSTREAM_BIN or ../build/release/src/app/chatstream
//   npm run e2e -- --mock          # stand-in server (develop the UI without a C++ build)
//   npm run e2e -- -g "refresh"    # extra arguments go to `playwright test`
// The accounts tests (e2e/accounts.spec.ts) start further servers of their own in
// multi-user mode from the same binary (E2E_BIN) and stop them by PID.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const mock = argv.includes('--mock');
const pwArgs = argv.filter((a) => a !== '--mock');

const tmpRoot = path.join(webDir, '.tmp');
fs.mkdirSync(tmpRoot, { recursive: true });
const work = fs.mkdtempSync(path.join(tmpRoot, 'e2e-'));
const portFile = path.join(work, 'port');
const dataDir = path.join(work, 'data');
fs.mkdirSync(dataDir);
const webRoot = path.join(webDir, 'dist');

if (!fs.existsSync(path.join(webRoot, 'index.html')) || process.env.E2E_BUILD === '1') {
  console.log('building the web app…');
  const b = spawnSync('npm', ['run', 'build'], { cwd: webDir, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

let cmd;
let cmdArgs;
let fake = null;
let fakeModels = false;
if (mock) {
  cmd = process.execPath;
  cmdArgs = [path.join(webDir, 'e2e', 'mock-server.mjs'), '--port', '0', '--port-file', portFile, '--web-root', webRoot];
} else {
  const bin = path.resolve(webDir, process.env.CHATSTREAM_BIN ?? '../build/release/src/app/chatstream');
  if (!fs.existsSync(bin)) {
    console.error(`chatstream binary not found at ${bin}; build it (cmake --preset release && cmake --build build/release --target chatstream) or set CHATSTREAM_BIN, or run with --mock`);
    process.exit(2);
  }
  cmd = bin;
  cmdArgs = ['--port', '0', '--port-file', portFile, '--data-dir', dataDir, '--web-root', webRoot];
  // With the fake upstream available, add an OpenAI-compatible provider whose models fail
  // once (HTTP 400) and then answer: the upstream-error test uses them.
  const fakeBin = path.resolve(
    webDir,
    process.env.FAKE_UPSTREAM_BIN ?? path.join(path.dirname(bin), '..', '..', 'tools', 'fake-upstream', 'fake-upstream'),
  );
  if (fs.existsSync(fakeBin) && process.env.E2E_NO_FAKE !== '1') {
    const fakePortFile = path.join(work, 'fake-port');
    const flog = fs.openSync(path.join(work, 'fake-upstream.log'), 'w');
    fake = spawn(fakeBin, ['--listen', '127.0.0.1:0', '--port-file', fakePortFile], { stdio: ['ignore', flog, flog] });
    for (let i = 0; i < 100 && !(fs.existsSync(fakePortFile) && fs.readFileSync(fakePortFile, 'utf8').trim()); i++)
      await new Promise((r) => setTimeout(r, 100));
    const fport = fs.existsSync(fakePortFile) ? fs.readFileSync(fakePortFile, 'utf8').trim() : '';
    if (fport) {
      const models = ['desktop', 'phone'].map((k) => `"fake:status=400,fail_first=1,key=e2e-${k}-${Date.now()},tokens=40,delay_ms=15"`);
      const toml = [
        '[[providers]]',
        'kind = "openai"',
        'name = "fake"',
        `base_url = "http://127.0.0.1:${fport}/v1"`,
        'api_key = "e2e-test-key"',
        `models = [${models.join(', ')}]`,
        '',
      ].join('\n');
      const cfg = path.join(work, 'chatstream.toml');
      fs.writeFileSync(cfg, toml);
      cmdArgs.push('--config', cfg);
      fakeModels = true;
      console.log(`fake upstream (pid ${fake.pid}) on 127.0.0.1:${fport}`);
    }
  }
  if (process.env.CHATSTREAM_ARGS) cmdArgs.push(...process.env.CHATSTREAM_ARGS.split(' ').filter(Boolean));
}

const logFile = path.join(work, 'server.log');
const log = fs.openSync(logFile, 'w');
const server = spawn(cmd, cmdArgs, { stdio: ['ignore', log, log], env: { ...process.env } });
let exited = false;
server.on('exit', () => (exited = true));

function stopServer() {
  if (fake && fake.exitCode === null && fake.pid) {
    try {
      process.kill(fake.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  if (!exited && server.pid) {
    try {
      process.kill(server.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}
process.on('SIGINT', () => {
  stopServer();
  process.exit(130);
});

async function waitForPort() {
  for (let i = 0; i < 200; i++) {
    if (exited) break;
    if (fs.existsSync(portFile)) {
      const port = fs.readFileSync(portFile, 'utf8').trim();
      if (port) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/api/models`);
          if (r.ok) return Number(port);
        } catch {
          /* not yet */
        }
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

const port = await waitForPort();
let status = 1;
if (port === null) {
  console.error(`server did not come up; log:\n${fs.readFileSync(logFile, 'utf8')}`);
} else {
  console.log(`server (pid ${server.pid}) on 127.0.0.1:${port}${mock ? ' [mock]' : ''}`);
  const res = spawnSync('npx', ['playwright', 'test', '--workers=1', ...pwArgs], {
    cwd: webDir,
    stdio: 'inherit',
    env: {
      ...process.env,
      BASE_URL: `http://127.0.0.1:${port}`,
      E2E_MOCK: mock ? '1' : '',
      E2E_FAKE: fakeModels ? '1' : '',
      TMPDIR: work,
      // The accounts tests start servers of their own (multi-user mode, fresh data dirs).
      E2E_BIN: mock ? '' : cmd,
      E2E_WEB_ROOT: webRoot,
      E2E_WORK: work,
    },
  });
  status = res.status ?? 1;
}
stopServer();
for (let i = 0; i < 50 && !exited; i++) await new Promise((r) => setTimeout(r, 100));
if (!exited && server.pid) process.kill(server.pid, 'SIGKILL');
if (status === 0) fs.rmSync(work, { recursive: true, force: true });
else console.error(`server log kept at ${logFile}`);
process.exit(status);
