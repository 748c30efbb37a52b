// Starts fake-upstream and chatstream (ephemeral ports, own temp dir) and stops them by PID.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const here = path.dirname(new URL(import.meta.url).pathname);

export function binaries() {
  const chatstream = path.resolve(
    process.env.CHATSTREAM_BIN ?? path.join(here, '../../build/release/src/app/chatstream'));
  // build/<preset>/src/app/chatstream -> build/<preset>/tools/fake-upstream/fake-upstream
  const fake = path.resolve(
    process.env.FAKE_UPSTREAM_BIN ??
      path.join(path.dirname(chatstream), '../../tools/fake-upstream/fake-upstream'));
  for (const bin of [chatstream, fake]) {
    if (!fs.existsSync(bin)) throw new Error(`missing program ${bin} (build it first)`);
  }
  return { chatstream, fake };
}

async function waitForPort(file, child, log, limitMs = 20000) {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${path.basename(child.spawnfile)} exited: ${fs.readFileSync(log, 'utf8')}`);
    }
    try {
      const text = fs.readFileSync(file, 'utf8').trim();
      if (/^\d+$/.test(text)) return Number(text);
    } catch {
      // not written yet
    }
    await sleep(25);
  }
  throw new Error(`no port in ${file} after ${limitMs} ms`);
}

function start(program, args, log, env = {}) {
  const out = fs.openSync(log, 'w');
  const child = spawn(program, args, {
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  });
  fs.closeSync(out);
  return child;
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

export async function startStack({ token }) {
  const { chatstream, fake } = binaries();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatstream-conformance-'));
  const stack = { dir, children: [] };
  try {
    const fakeLog = path.join(dir, 'fake.log');
    const fakeChild = start(fake, ['--listen', '127.0.0.1:0', '--port-file',
      path.join(dir, 'fake.port')], fakeLog);
    stack.children.push(fakeChild);
    stack.fakePort = await waitForPort(path.join(dir, 'fake.port'), fakeChild, fakeLog);

    const base = `http://127.0.0.1:${stack.fakePort}`;
    const config = path.join(dir, 'chatstream.toml');
    fs.writeFileSync(config, [
      '[upstream]', 'max_retries = 0', '',
      '[gateway]', `tokens = ["${token}"]`, '',
      '[[providers]]', 'name = "fo"', 'kind = "openai"', `base_url = "${base}/v1"`,
      'api_key = "sk-upstream"', 'models = ["fake-gpt"]', '',
      '[[providers]]', 'name = "fa"', 'kind = "anthropic"', `base_url = "${base}"`,
      'api_key = "sk-ant-upstream"', 'models = ["fake-claude"]', '',
      '[[providers]]', 'name = "fl"', 'kind = "ollama"', `base_url = "${base}"`,
      'models = ["fake-llama"]', '',
      '[[providers]]', 'name = "simulated"', 'kind = "simulated"', 'tokens_per_second = 0',
      'first_token_delay_ms = 0', '',
    ].join('\n'));
    const serverLog = path.join(dir, 'chatstream.log');
    fs.mkdirSync(path.join(dir, 'data'));
    const server = start(chatstream, ['--config', config, '--port', '0', '--port-file',
      path.join(dir, 'chatstream.port'), '--data-dir', path.join(dir, 'data'),
      '--web-root', path.join(dir, 'web'), '--threads', '2'], serverLog,
    { OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', OLLAMA_HOST: '', CHATSTREAM_API_TOKENS: '' });
    stack.children.push(server);
    stack.port = await waitForPort(path.join(dir, 'chatstream.port'), server, serverLog);
    stack.serverLog = serverLog;
  } catch (e) {
    await stopStack(stack);
    throw e;
  }
  return stack;
}

export async function stopStack(stack) {
  for (const child of [...stack.children].reverse()) await stop(child);
  fs.rmSync(stack.dir, { recursive: true, force: true });
}
