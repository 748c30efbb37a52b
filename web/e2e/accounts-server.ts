// A chatstream server in multi-user mode on a fresh data dir, for the accounts tests.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface MultiUserServer {
  baseURL: string;
  /** The one-time setup token the server printed at its first start. */
  setupToken: string | null;
  log(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startMultiUserServer(name: string, extraArgs: string[] = []): Promise<MultiUserServer> {
  const bin = process.env.E2E_BIN;
  const webRoot = process.env.E2E_WEB_ROOT;
  if (!bin || !webRoot) throw new Error('E2E_BIN and E2E_WEB_ROOT are set by e2e/run.mjs');
  const root = process.env.E2E_WORK ?? fs.mkdtempSync(path.join(process.cwd(), '.tmp', 'acc-'));
  const work = fs.mkdtempSync(path.join(root, `${name}-`));
  const dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir);
  const portFile = path.join(work, 'port');
  const logFile = path.join(work, 'server.log');
  const out = fs.openSync(logFile, 'w');
  const args = ['--port', '0', '--port-file', portFile, '--data-dir', dataDir, '--web-root', webRoot, '--mode', 'multi-user', '--password-cost', 'minimum', ...extraArgs];
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', out, out] });
  let exited = false;
  child.on('exit', () => (exited = true));
  const log = () => fs.readFileSync(logFile, 'utf8');

  let baseURL = '';
  for (let i = 0; i < 200 && !exited && !baseURL; i++) {
    const port = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8').trim() : '';
    if (port) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/api/auth/state`);
        if (r.ok) baseURL = `http://127.0.0.1:${port}`;
      } catch {
        /* not yet */
      }
    }
    if (!baseURL) await sleep(100);
  }
  const stop = async () => {
    if (!exited && child.pid) child.kill('SIGTERM');
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited && child.pid) child.kill('SIGKILL');
  };
  if (!baseURL) {
    await stop();
    throw new Error(`multi-user server did not come up:\n${log()}`);
  }
  let setupToken: string | null = null;
  for (let i = 0; i < 30 && !setupToken; i++) {
    setupToken = /\/setup\?token=([A-Za-z0-9_.~-]+)/.exec(log())?.[1] ?? null;
    if (!setupToken) await sleep(100);
  }
  return { baseURL, setupToken, log, stop };
}
