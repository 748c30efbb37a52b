// Runs run.mjs several times and prints each run and the best and median of each
// figure as a Markdown table. Usage: node bench/web/runs.mjs [--runs 5] [--compare dirA,dirB] [run.mjs options]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const take = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const runs = Number(take('runs') ?? 5);
// --compare dirA,dirB: runs each build alternately (A, B, A, B, ...) in this one
// invocation, so both see the same machine load; one table per build.
const roots = (take('compare') ?? '').split(',').filter(Boolean);
const builds = roots.length ? roots : [null];
const rowsOf = builds.map(() => []);
for (let r = 0; r < runs; r++) {
  builds.forEach((root, b) => {
    const out = path.join(os.tmpdir(), `web-bench-${process.pid}-${r}-${b}.json`);
    const extra = root ? ['--web-root', root] : [];
    const p = spawnSync(process.execPath, [path.join(here, 'run.mjs'), ...args, ...extra], { env: { ...process.env, BENCH_JSON: out }, encoding: 'utf8' });
    if (p.status !== 0 || !fs.existsSync(out)) {
      console.error(`run ${r + 1}${root ? ` (${root})` : ''} failed:\n${p.stdout}\n${p.stderr}`);
      return;
    }
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    fs.rmSync(out);
    const row = {
      fps: j.fps,
      long: j.longTasks.length,
      worst: j.longTasks.length ? Math.max(...j.longTasks) : 0,
      t10: j.w10?.task ?? NaN,
      t90: j.w90?.task ?? NaN,
      ratio: (j.w90?.task ?? NaN) / (j.w10?.task ?? NaN),
      lag: j.endLagMs,
      finishedMut: j.dom.finished,
      cpuTok: j.cpu ? j.cpu.total / j.tokens : NaN,
      cpuLong: j.cpu ? j.cpu.over50 : NaN,
      cpuMax: j.cpu ? j.cpu.max : NaN,
      load: os.loadavg()[0],
    };
    rowsOf[b].push(row);
    console.error(`run ${r + 1}${root ? ` ${path.basename(root)}` : ''}: ${JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Math.round(v * 100) / 100])))}`);
  });
}
if (rowsOf.every((rows) => rows.length === 0)) process.exit(1);
const cols = [
  ['fps', 'frames per second', 'max', (v) => v.toFixed(1)],
  ['long', 'long tasks > 50 ms', 'min', (v) => String(v)],
  ['worst', 'longest task (ms)', 'min', (v) => v.toFixed(0)],
  ['t10', 'main thread per token at 10 % (ms)', 'min', (v) => v.toFixed(2)],
  ['t90', 'main thread per token at 90 % (ms)', 'min', (v) => v.toFixed(2)],
  ['ratio', '90 % / 10 %', 'min', (v) => v.toFixed(2)],
  ['lag', 'end lag (ms)', 'min', (v) => v.toFixed(0)],
  ['finishedMut', 'DOM mutations in finished blocks', 'min', (v) => String(v)],
];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
if (args.includes('--cpu'))
  cols.push(
    ['cpuTok', 'main-thread CPU per token (ms, thread time)', 'min', (v) => v.toFixed(3)],
    ['cpuLong', 'tasks > 50 ms of thread time', 'min', (v) => String(v)],
    ['cpuMax', 'largest task CPU (ms)', 'min', (v) => v.toFixed(1)],
  );
cols.push(['load', 'load average (1 min) after the run', 'min', (v) => v.toFixed(1)]);
builds.forEach((root, b) => {
  const rows = rowsOf[b];
  if (!rows.length) return;
  if (root) console.log(`\n${root}:\n`);
  console.log(`| | ${rows.map((_, k) => `run ${k + 1}`).join(' | ')} | best | median |`);
  console.log(`|---|${rows.map(() => '---').join('|')}|---|---|`);
  for (const [key, name, better, f] of cols) {
    const xs = rows.map((r) => r[key]);
    const best = better === 'max' ? Math.max(...xs) : Math.min(...xs);
    console.log(`| ${name} | ${xs.map(f).join(' | ')} | ${f(best)} | ${f(median(xs))} |`);
  }
});
