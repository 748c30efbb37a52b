// Browser benchmark of the chatstream web app's streaming view.
//
// Streams a ~4,000-token Markdown answer (paragraphs, lists, tables, several code
// blocks) at 100 tokens/s into the production build (web/dist), on a phone
// viewport (390x844, touch, DPR 3) with 4x CPU throttling (CDP
// Emulation.setCPUThrottlingRate), driving Debian's Chromium. It reports:
//   - frames per second while streaming (requestAnimationFrame count),
//   - long tasks > 50 ms (count, total, worst),
//   - main-thread time per token around 10% and 90% of the message
//     (CDP Performance.getMetrics TaskDuration over a window / tokens sent in it),
//   - how far the reveal trails the stream at the end (last token sent -> all text shown).
//
// The API is served by a small in-process server that follows docs/api.md for the
// few calls the page makes, so the token rate is exact and the C++ server is not
// measured here. Usage: node bench/web/run.mjs [--tokens 4000] [--tps 100] [--throttle 4]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, '../../web');
const require = createRequire(path.join(webDir, 'package.json'));
const { chromium } = require('@playwright/test');

const opt = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const TOKENS = opt('tokens', 4000);
const TPS = opt('tps', 100);
const THROTTLE = opt('throttle', 4);
const strOpt = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
// The production build to serve (default web/dist); another root compares two builds.
const webRoot = path.resolve(strOpt('web-root', process.env.BENCH_WEB_ROOT ?? path.join(webDir, 'dist')));

if (!fs.existsSync(path.join(webRoot, 'index.html'))) {
  console.error(`${webRoot} has no index.html: run \`npm run build\` in web/ first`);
  process.exit(2);
}

// Main-thread thread CPU time of top-level tasks (trace 'tdur'): total, largest, and how
// many would take over 50 ms at the throttled speed even on an idle machine.
function mainThreadCpu(events, throttle) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const mine = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  let end = -Infinity;
  let total = 0;
  let max = 0;
  let over50 = 0;
  for (const e of mine) {
    if (e.ts < end) continue; // nested in the current top-level task
    end = e.ts + e.dur;
    const c = (e.tdur ?? e.dur) / 1000;
    total += c;
    max = Math.max(max, c);
    if (c > 50) over50++; // throttled busy time counts in thread time
  }
  return { total, max, over50 };
}

// Splits every main-thread task over 50 ms into native work (self time per trace event)
// and JS (sampled functions, self and inclusive), and sums both over all long tasks.
function attributeLongTasks(events, profile) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) return console.log('attribution: no renderer main thread in the trace');
  const mine = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const tasks = [];
  const stack = [];
  // Histogram of top-level task durations (wall, ms) and their mean makeup per bucket.
  const buckets = [4, 8, 16, 25, 35, 50, Infinity];
  const hist = buckets.map(() => ({ n: 0, parts: new Map() }));
  const bucketOf = (ms) => hist[buckets.findIndex((b) => ms < b)];
  for (const e of mine) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    e.top = parent ? parent.top : e;
    if (!parent && e.dur >= 50_000) {
      e.parts = new Map();
      tasks.push(e);
    }
    if (!parent) bucketOf(e.dur / 1000).n++;
    const b = bucketOf(e.top.dur / 1000);
    if (parent) b.parts.set(parent.name, (b.parts.get(parent.name) ?? 0) - e.dur / 1000);
    b.parts.set(e.name, (b.parts.get(e.name) ?? 0) + e.dur / 1000);
    if (e.top.parts) {
      if (parent) e.top.parts.set(parent.name, (e.top.parts.get(parent.name) ?? 0) - e.dur / 1000);
      e.top.parts.set(e.name, (e.top.parts.get(e.name) ?? 0) + e.dur / 1000);
    }
    stack.push(e);
  }
  // Profile samples: time of each sample and its stack of function names.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const name = (n) => `${n.callFrame.functionName || '(anon)'}${n.callFrame.url ? ` ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}` : ''}`;
  let t = profile.startTime;
  const samples = profile.samples.map((id, i) => {
    t += profile.timeDeltas[i];
    return { t, id, dt: (profile.timeDeltas[i + 1] ?? 0) / 1000 };
  });
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  const totalNative = new Map();
  const totalSelf = new Map();
  const totalIncl = new Map();
  let si = 0;
  const top = (m, n) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  console.log('main-thread tasks by duration (count; mean ms per task of the largest parts):');
  hist.forEach((h, i) => {
    if (!h.n) return;
    const parts = [...h.parts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 7).map(([k, v]) => `${k} ${(v / h.n).toFixed(1)}`).join(', ');
    console.log(`  ${i ? buckets[i - 1] : 0}-${buckets[i]} ms: ${h.n}; ${parts}`);
  });
  console.log(`long main-thread tasks (trace) >= 50 ms: ${tasks.length}`);
  for (const task of tasks) {
    const self = new Map();
    const incl = new Map();
    while (si < samples.length && samples[si].t < task.ts) si++;
    for (let j = si; j < samples.length && samples[j].t < task.ts + task.dur; j++) {
      const s = samples[j];
      const n = byId.get(s.id);
      add(self, name(n), s.dt);
      const seen = new Set();
      for (let cur = s.id; cur !== undefined; cur = parentOf.get(cur)) {
        const k = name(byId.get(cur));
        if (!seen.has(k)) add(incl, k, s.dt);
        seen.add(k);
      }
    }
    for (const [k, v] of task.parts) add(totalNative, k, v);
    for (const [k, v] of self) add(totalSelf, k, v);
    for (const [k, v] of incl) add(totalIncl, k, v);
    const parts = top(task.parts, 6).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    const fns = top(self, 4).map(([k, v]) => `${k} ${v.toFixed(0)}`).join('; ');
    console.log(`  ${(task.dur / 1000).toFixed(0).padStart(4)} ms at +${((task.ts - tasks[0].ts) / 1e6).toFixed(1)} s: ${parts}\n         JS self: ${fns}`);
  }
  const show = (title, m) => {
    console.log(title);
    for (const [k, v] of top(m, 25)) console.log(`  ${v.toFixed(0).padStart(6)}  ${k}`);
  };
  show('all long tasks, self time by trace event (ms):', totalNative);
  show('all long tasks, JS self time by function (ms):', totalSelf);
  show('all long tasks, JS inclusive time by function (ms):', totalIncl);
}

// One --trace-at window: main-thread self thread time by trace event, JS self time by
// function (sampled), and how many frames/renders it had.
function windowBreakdown(events, profile) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const mine = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = new Map();
  const count = new Map();
  const stack = [];
  let total = 0;
  for (const e of mine) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    const d = (e.tdur ?? e.dur) / 1000;
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - d);
    else total += d;
    self.set(e.name, (self.get(e.name) ?? 0) + d);
    count.set(e.name, (count.get(e.name) ?? 0) + 1);
    stack.push(e);
  }
  const fns = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const k = `${n.callFrame.functionName || '(anon)'}${n.callFrame.url ? ` ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}` : ''}`;
    fns.set(k, (fns.get(k) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  });
  return { total, self, count, fns };
}

function printWindows(ws) {
  const head = ws.map((w) => `${w.p} %`);
  const per = (w, v) => (v / Math.max(1, w.sent1 - w.sent0)).toFixed(3);
  console.log(`trace windows (thread time per token, ms; tokens: ${ws.map((w) => w.sent1 - w.sent0).join(', ')})`);
  console.log(`  ${'total main thread'.padEnd(44)} ${ws.map((w) => per(w, w.result.total).padStart(8)).join(' ')}`);
  for (const key of ['FireAnimationFrame', 'Layout', 'UpdateLayoutTree', 'Paint', 'Commit', 'ResizeObserver', 'EventDispatch'])
    console.log(`  ${`count of ${key}`.padEnd(44)} ${ws.map((w) => String(w.result.count.get(key) ?? 0).padStart(8)).join(' ')}`);
  const top = (field) => {
    const keys = new Map();
    for (const w of ws) for (const [k, v] of w.result[field]) keys.set(k, Math.max(keys.get(k) ?? 0, v / Math.max(1, w.sent1 - w.sent0)));
    return [...keys.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.BENCH_TOP ?? 20)).map(([k]) => k);
  };
  console.log(`  self time by trace event:${' '.repeat(19)} ${head.map((h) => h.padStart(8)).join(' ')}`);
  for (const k of top('self')) console.log(`  ${k.slice(0, 44).padEnd(44)} ${ws.map((w) => per(w, w.result.self.get(k) ?? 0).padStart(8)).join(' ')}`);
  console.log(`  JS self time by function (sampled):`);
  for (const k of top('fns')) console.log(`  ${k.slice(0, 44).padEnd(44)} ${ws.map((w) => per(w, w.result.fns.get(k) ?? 0).padStart(8)).join(' ')}`);
}

// ---------- the answer ----------
function makeAnswer(target) {
  const words = 'the server keeps one response open and writes each delta as soon as the model produces it while the browser reveals text smoothly'.split(' ');
  const parts = [];
  let n = 0;
  let section = 1;
  const para = (len) => {
    const w = [];
    for (let i = 0; i < len; i++) w.push(i === 3 ? `**${words[(n + i) % words.length]}**` : i === 9 ? `\`${words[(n + i) % words.length]}\`` : words[(n + i) % words.length]);
    n += len;
    return w.join(' ') + '.';
  };
  const code = (k) =>
    ['```ts', `export function handler${k}(req: Request): Response {`, '  const url = new URL(req.url);', `  const id = url.searchParams.get('id') ?? '${k}';`, '  for (let i = 0; i < 10; i++) {', '    if (i % 3 === 0) console.log(`tick ${i} for ${id}`);', '  }', "  return new Response(JSON.stringify({ ok: true, id }), { headers: { 'Content-Type': 'application/json' } });", '}', '```'].join('\n');
  while (parts.join('\n\n').split(/\s+/).length < target) {
    parts.push(`## Section ${section}`);
    parts.push(para(40));
    parts.push(['- first point about ' + para(6), '- second point with `inline code` and ' + para(5), '- third point ' + para(4)].join('\n'));
    parts.push(code(section));
    if (section % 3 === 0) parts.push('| metric | value | note |\n|---|---|---|\n| latency | 12 ms | p50 |\n| throughput | 900 rps | steady |\n| errors | 0 | none |');
    parts.push(para(30));
    section++;
  }
  const text = parts.join('\n\n');
  const toks = text.match(/\s*\S+|\s+/g);
  return toks.slice(0, target);
}
const tokens = makeAnswer(TOKENS);

// ---------- tiny API server ----------
const t = () => new Date().toISOString();
const conv = { id: '01BENCHCONV000000000000000', title: 'Benchmark', model: 'bench', system_prompt: '', current_leaf_id: null, created_at: t(), updated_at: t() };
const user = { id: '01BENCHUSER000000000000000', conversation_id: conv.id, parent_id: null, role: 'user', content: 'Write a long answer', status: 'complete', created_at: t() };
const asst = { id: '01BENCHASST000000000000000', conversation_id: conv.id, parent_id: user.id, role: 'assistant', content: '', status: 'streaming', created_at: t() };
const state = { sent: 0, started: 0, lastSentAt: 0 };

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const json = (code, body) => {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/api/models') return json(200, { models: [{ id: 'bench', name: 'Bench', provider: 'bench', simulated: false }], default: 'bench' });
  if (url.pathname === '/api/conversations' && req.method === 'GET') return json(200, { conversations: [conv], next_before: null });
  if (url.pathname === '/api/conversations' && req.method === 'POST') return json(201, conv);
  if (url.pathname === `/api/conversations/${conv.id}/messages` && req.method === 'POST') {
    conv.current_leaf_id = asst.id;
    return json(201, { user_message: user, assistant_message: asst });
  }
  if (url.pathname === `/api/conversations/${conv.id}`) {
    const content = tokens.slice(0, state.sent).join('');
    const done = state.sent >= tokens.length;
    return json(200, { ...conv, messages: [user, { ...asst, content, status: done ? 'complete' : 'streaming' }] });
  }
  if (url.pathname === `/api/messages/${asst.id}/events`) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    state.started = performance.now();
    const interval = 1000 / TPS;
    const tick = () => {
      // Send every token that is due by now (keeps the exact average rate).
      const due = Math.min(tokens.length, Math.floor((performance.now() - state.started) / interval) + 1);
      while (state.sent < due) {
        res.write(`event: delta\nid: ${state.sent + 1}\ndata: ${JSON.stringify({ text: tokens[state.sent] })}\n\n`);
        state.sent++;
      }
      if (state.sent >= tokens.length) {
        state.lastSentAt = Date.now();
        res.end(`event: done\ndata: ${JSON.stringify({ status: 'complete', finish_reason: 'stop', usage: { prompt_tokens: 5, completion_tokens: tokens.length } })}\n\n`);
        return;
      }
      setTimeout(tick, interval);
    };
    tick();
    return;
  }
  let rel = url.pathname === '/' ? '/index.html' : url.pathname;
  const file = path.join(webRoot, path.normalize(rel));
  if (!file.startsWith(webRoot) || !fs.existsSync(file)) {
    res.writeHead(404);
    return res.end();
  }
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

// ---------- browser ----------
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let exitCode = 0;
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: Number(process.env.BENCH_DPR ?? 3) });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(base + '/');
  // A person reads the page before sending: let the app finish its start-up work (and
  // its idle-time warm-up) first, as it would have by then.
  await new Promise((r) => setTimeout(r, opt('settle', 2000)));
  await page.getByRole('textbox', { name: 'Message' }).fill('Write a long answer');
  await page.evaluate(() => {
    const w = window;
    w.__bench = { frames: 0, longTasks: [], running: true, since: Infinity, finishedBlockMutations: 0, tailMutations: 0, blocksAdded: 0 };
    const loop = () => {
      w.__bench.frames++;
      if (w.__bench.running) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.startTime >= w.__bench.since) w.__bench.longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
    // DOM changes inside the streaming message: in the growing tail, inside finished
    // blocks (should stay 0: finished blocks are never re-rendered), blocks added.
    // Blocks are the children of .markdown, or of its chunk elements (.md-chunk) when the
    // app groups them; the tail is the last block.
    let prevTail = null;
    const isChunk = (el) => el?.classList?.contains('md-chunk');
    const lastBlock = (md) => (isChunk(md?.lastElementChild) ? md.lastElementChild.lastElementChild : (md?.lastElementChild ?? null));
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        const md = el?.closest('article[data-role="assistant"] .markdown');
        if (!md || el.closest('article')?.getAttribute('data-status') !== 'streaming') continue;
        const tail = lastBlock(md);
        if (el === md) for (const n of r.addedNodes) w.__bench.blocksAdded += isChunk(n) ? n.childElementCount : 1;
        else if (isChunk(el) && el.parentElement === md && r.type === 'childList') w.__bench.blocksAdded += r.addedNodes.length;
        else if ((tail && tail.contains(el)) || (prevTail && prevTail.contains(el))) w.__bench.tailMutations++;
        else w.__bench.finishedBlockMutations++;
      }
      prevTail = lastBlock(document.querySelector('article[data-role="assistant"][data-status="streaming"] .markdown'));
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
  const metric = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  };
  await page.evaluate(() => {
    window.__bench.since = performance.now();
  });
  await page.getByRole('textbox', { name: 'Message' }).press('Enter');
  const startWall = Date.now();
  const framesAtStart = await page.evaluate(() => window.__bench.frames);

  // Optional: CPU profile of a window in the middle of the stream (--profile).
  if (process.argv.includes('--profile')) {
    await new Promise((r) => setTimeout(r, (TOKENS / TPS) * 400));
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
    await new Promise((r) => setTimeout(r, 5000));
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map();
    const incl = new Map();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parentOf = new Map();
    for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
    const keyOf = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
    const dts = profile.timeDeltas;
    let js = 0;
    profile.samples.forEach((id, i) => {
      const n = byId.get(id);
      const dt = (dts[i + 1] ?? 0) / 1000;
      self.set(keyOf(n), (self.get(keyOf(n)) ?? 0) + dt);
      if (n.callFrame.url) js += dt;
      const seen = new Set();
      for (let cur = id; cur !== undefined; cur = parentOf.get(cur)) {
        const k = keyOf(byId.get(cur));
        if (!seen.has(k)) incl.set(k, (incl.get(k) ?? 0) + dt);
        seen.add(k);
      }
    });
    const show = (title, m) => {
      console.log(title);
      for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.BENCH_TOP ?? 25))) console.log(`  ${v.toFixed(0).padStart(6)}  ${k}`);
    };
    console.log(`JavaScript (samples in page scripts) over 5 s: ${js.toFixed(0)} ms`);
    show('top self time (ms) over 5 s:', self);
    show('top inclusive time (ms) over 5 s:', incl);
  }
  // Optional: trace a window and sum main-thread event time by name (--trace).
  if (process.argv.includes('--trace')) {
    await new Promise((r) => setTimeout(r, (TOKENS / TPS) * 400));
    const events = [];
    cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
    const finished = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.start', { categories: process.env.BENCH_TRACE_CATS ?? 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
    await new Promise((r) => setTimeout(r, 3000));
    await cdp.send('Tracing.end');
    await finished;
    const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    const mine = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    // Exclusive (self) time per event name: subtract the time of directly nested events.
    const self = new Map();
    const stack = [];
    for (const e of mine) {
      while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
      const parent = stack[stack.length - 1];
      // Thread (CPU) time when the trace has it: robust against other processes on the machine.
      const d = (e.tdur ?? e.dur) / 1000;
      if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - d);
      self.set(e.name, (self.get(e.name) ?? 0) + d);
      if (process.env.BENCH_TRACE_TASKS && e.name === 'RunTask') {
        const src = e.args?.src_func ? `RunTask ${e.args.src_file?.split('/').pop()}:${e.args.src_func}` : 'RunTask (unknown source)';
        e.src = src;
      }
      e.top = parent ? parent.top : e;
      if (e.top.dur >= 50_000) {
        e.top.parts ??= new Map();
        if (parent) e.top.parts.set(parent.name, (e.top.parts.get(parent.name) ?? 0) - e.dur / 1000);
        e.top.parts.set(e.name, (e.top.parts.get(e.name) ?? 0) + e.dur / 1000);
      }
      if (parent?.src) self.set(parent.src, (self.get(parent.src) ?? 0) - d);
      if (e.src) self.set(e.src, (self.get(e.src) ?? 0) + d);
      stack.push(e);
    }
    const commits = mine.filter((e) => e.name === 'Commit').length;
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    console.log(`main-thread trace over 3 s: ${commits} frames committed; CPU ${total.toFixed(0)} ms (${(total / Math.max(1, commits)).toFixed(2)} ms per frame); self CPU ms by event:`);
    for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, process.env.BENCH_TRACE_TASKS ? 40 : 16)) console.log(`  ${v.toFixed(0).padStart(6)}  ${k}`);
    for (const e of mine.filter((x) => x.parts)) {
      const parts = [...e.parts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
      console.log(`  task of ${(e.dur / 1000).toFixed(0)} ms: ${parts.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
    }
  }
  // Optional: composited layers (size, paint count) in the middle of the stream (--layers).
  if (process.argv.includes('--layers')) {
    await new Promise((r) => setTimeout(r, (TOKENS / TPS) * 400));
    let layers = [];
    cdp.on('LayerTree.layerTreeDidChange', (e) => {
      if (e.layers) layers = e.layers;
    });
    await cdp.send('LayerTree.enable');
    await new Promise((r) => setTimeout(r, 2000));
    const before = new Map(layers.map((l) => [l.layerId, l.paintCount]));
    await new Promise((r) => setTimeout(r, 2000));
    console.log(`${layers.length} layers (paints during 2 s, size, draws content):`);
    for (const l of layers) {
      if (!l.drawsContent) continue;
      const node = l.backendNodeId ? await cdp.send('DOM.describeNode', { backendNodeId: l.backendNodeId }).catch(() => null) : null;
      const name = node ? `${node.node.nodeName.toLowerCase()}${(node.node.attributes ?? []).join(' ').slice(0, 60)}` : '';
      console.log(`  ${String((l.paintCount ?? 0) - (before.get(l.layerId) ?? 0)).padStart(4)}  ${Math.round(l.width)}x${Math.round(l.height)}  ${l.drawsContent ? 'draws' : '     '}  ${name}`);
    }
    await cdp.send('LayerTree.disable');
  }
  // Optional: attribute every long task of the whole stream (--attribute): a trace
  // (main-thread events) and a sampling CPU profile on the same clock, so each task over
  // 50 ms is split into native work (layout, paint, GC, ...) and the JS functions in it.
  const attribute = process.argv.includes('--attribute');
  const windowEvents = [];
  cdp.on('Tracing.dataCollected', (d) => {
    if (windows.some((w) => w.on)) windowEvents.push(...d.value);
  });
  async function startWindow(w) {
    windowEvents.length = 0;
    w.on = true;
    await cdp.send('Tracing.start', { categories: 'toplevel,devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    w.sent0 = state.sent;
  }
  async function stopWindow(w) {
    w.sent1 = state.sent;
    const { profile } = await cdp.send('Profiler.stop');
    const finished = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await finished;
    w.on = false;
    w.done = true;
    w.result = windowBreakdown(windowEvents, profile);
  }
  // --cpu: thread CPU time of every main-thread task over the whole stream (a trace), which
  // unlike wall time does not grow when other processes take the CPU away.
  const cpuTrace = process.argv.includes('--cpu') && !attribute;
  const traceEvents = [];
  if (cpuTrace) {
    cdp.on('Tracing.dataCollected', (d) => traceEvents.push(...d.value));
    await cdp.send('Tracing.start', { categories: 'toplevel,devtools.timeline', transferMode: 'ReportEvents' });
  }
  if (attribute) {
    cdp.on('Tracing.dataCollected', (d) => traceEvents.push(...d.value));
    await cdp.send('Tracing.start', { categories: process.env.BENCH_TRACE_CATS ?? 'devtools.timeline,disabled-by-default-devtools.timeline,v8', transferMode: 'ReportEvents' });
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
    await cdp.send('Profiler.start');
  }
  // Sample main-thread time and tokens sent every 250 ms until the stream ends.
  const samples = [];
  // --trace-at 10,90: a trace and a JS profile over the token windows of the per-token
  // figures (5 % of the tokens either side of each point), split per token (see below).
  const traceAt = (strOpt('trace-at', '') || '').split(',').filter(Boolean).map(Number);
  const windows = traceAt.map((p) => ({ p, lo: (tokens.length * (p - 5)) / 100, hi: (tokens.length * (p + 5)) / 100, on: false, done: false }));
  while (state.sent < tokens.length && Date.now() - startWall < (TOKENS / TPS) * 1000 * 3 + 30_000) {
    const m = await metric();
    samples.push({ sent: state.sent, task: m.TaskDuration, script: m.ScriptDuration, layout: m.LayoutDuration, style: m.RecalcStyleDuration });
    for (const w of windows) {
      if (!w.on && !w.done && state.sent >= w.lo && !cpuTrace && !attribute) await startWindow(w);
      else if (w.on && state.sent >= w.hi) await stopWindow(w);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const w of windows) if (w.on) await stopWindow(w);
  if (windows.some((w) => w.result)) printWindows(windows.filter((w) => w.result));
  const streamEndWall = state.lastSentAt || Date.now();
  // Trail: until the app marks the message finished (everything revealed).
  await page.waitForFunction(
    () => {
      const el = [...document.querySelectorAll('article[data-role="assistant"]')].pop();
      return el && el.getAttribute('data-status') !== 'streaming';
    },
    null,
    { timeout: 60_000, polling: 'raf' },
  );
  const revealedWall = Date.now();
  let cpu = null;
  if (cpuTrace) {
    const finished = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await finished;
    cpu = mainThreadCpu(traceEvents, THROTTLE);
  }
  if (attribute) {
    const { profile } = await cdp.send('Profiler.stop');
    const finished = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await finished;
    attributeLongTasks(traceEvents, profile);
  }
  const frames = (await page.evaluate(() => window.__bench.frames)) - framesAtStart;
  const longTasks = await page.evaluate(() => window.__bench.longTasks);
  const dom = await page.evaluate(() => ({ tail: window.__bench.tailMutations, finished: window.__bench.finishedBlockMutations, added: window.__bench.blocksAdded }));
  const shownLen = await page.evaluate(() => document.querySelector('article[data-role="assistant"] .markdown')?.textContent?.length ?? 0);

  const windowAt = (frac) => {
    const lo = tokens.length * (frac - 0.05);
    const hi = tokens.length * (frac + 0.05);
    const inWin = samples.filter((s) => s.sent >= lo && s.sent <= hi);
    if (inWin.length < 2) return null;
    const a = inWin[0];
    const b = inWin[inWin.length - 1];
    const dt = b.sent - a.sent;
    if (dt <= 0) return null;
    const per = (k) => ((b[k] - a[k]) * 1000) / dt;
    return { tokens: dt, task: per('task'), script: per('script'), layout: per('layout'), style: per('style') };
  };
  const w10 = windowAt(0.1);
  const w90 = windowAt(0.9);
  const streamSecs = (streamEndWall - startWall) / 1000;
  const fmt = (v) => (v == null ? 'n/a' : v.toFixed(2));
  const lines = [
    `tokens: ${tokens.length} at ${TPS} tokens/s, CPU throttling ${THROTTLE}x, phone viewport 390x844 DPR 3`,
    `stream duration: ${streamSecs.toFixed(1)} s; rendered text length: ${shownLen} chars`,
    `frames per second while streaming: ${(frames / ((revealedWall - startWall) / 1000)).toFixed(1)}`,
    `long tasks > 50 ms: ${longTasks.length} (total ${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms, worst ${longTasks.length ? Math.max(...longTasks).toFixed(0) : 0} ms)`,
    `main-thread time per token at 10%: ${fmt(w10?.task)} ms (script ${fmt(w10?.script)}, layout ${fmt(w10?.layout)}, style ${fmt(w10?.style)})`,
    `main-thread time per token at 90%: ${fmt(w90?.task)} ms (script ${fmt(w90?.script)}, layout ${fmt(w90?.layout)}, style ${fmt(w90?.style)})`,
    `reveal trails the stream at the end by: ${revealedWall - streamEndWall} ms`,
    `DOM mutations while streaming: ${dom.tail} in the tail, ${dom.finished} inside finished blocks, ${dom.added} top-level elements added`,
  ];
  if (cpu)
    lines.push(
      `main-thread CPU (thread time) while streaming: ${cpu.total.toFixed(0)} ms, ${(cpu.total / tokens.length).toFixed(3)} ms per token; ` +
        `tasks over 50 ms of thread time: ${cpu.over50} (largest ${cpu.max.toFixed(1)} ms CPU)`,
    );
  console.log(lines.join('\n'));
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ lines, throttle: THROTTLE, tokens: tokens.length, fps: frames / ((revealedWall - startWall) / 1000), longTasks, w10, w90, endLagMs: revealedWall - streamEndWall, dom, cpu }, null, 2));
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await browser.close();
  server.close();
}
process.exit(exitCode);
