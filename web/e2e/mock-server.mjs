// A small stand-in for the chatstream server that follows docs/api.md, used to
// develop the web app and its browser tests when no server binary is built
// (npm run e2e -- --mock). The real tests run against the real binary.
//
// Usage: node e2e/mock-server.mjs --port 0 --port-file FILE --web-root DIR
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const webRoot = args['web-root'];
const now = () => new Date().toISOString();
let idCounter = 0;
const newId = () => (Date.now().toString(36) + (idCounter++).toString(36).padStart(4, '0') + crypto.randomBytes(6).toString('hex')).toUpperCase().slice(0, 26).padEnd(26, '0');

const conversations = new Map();
const messages = new Map();
const live = new Map(); // message id -> { deltas: [], done: null, subs: Set, timer }

const ANSWER = `## Streaming over HTTP

Server-Sent Events keep **one HTTP response open** and push \`text/event-stream\` frames.

- Works through most proxies
- Resumes with \`Last-Event-ID\`
- [x] Plain HTTP
- [ ] Binary frames

| Transport | Direction | Resume |
|---|---|---|
| SSE | server → client | built in |
| WebSocket | both | manual |
| Long polling | server → client | manual |

\`\`\`ts
export async function* events(url: string): AsyncGenerator<string> {
  const res = await fetch(url, { headers: { Accept: 'text/event-stream' } });
  const reader = res.body!.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    yield new TextDecoder().decode(value);
  }
}
\`\`\`

That's it — a resumable stream with plain HTTP. 🎉`;

function tokens(text) {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

function send(res, status, body, headers = {}) {
  const data = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(data);
}
const err = (res, status, message, code, type = 'invalid_request_error') => send(res, status, { error: { message, type, code } });

function readBody(req) {
  return new Promise((resolve) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      try {
        resolve(b ? JSON.parse(b) : {});
      } catch {
        resolve({});
      }
    });
  });
}

function convJson(c) {
  return { ...c };
}

function startGeneration(msg, prompt) {
  const l = { deltas: [], done: null, subs: new Set(), timer: null };
  live.set(msg.id, l);
  const failing = /\[fail\]/.test(prompt) && !messagesFor(msg.conversation_id).some((m) => m.role === 'assistant' && m.status === 'error' && m.parent_id === msg.parent_id);
  const text = /\[short\]/.test(prompt) ? 'Short answer.' : /\blong\b/i.test(prompt) ? `${ANSWER}\n\n${ANSWER}` : ANSWER;
  const toks = tokens(text);
  const t0 = Date.now();
  let i = 0;
  const step = () => {
    if (failing && i === 5) {
      msg.status = 'error';
      msg.error = { message: 'upstream returned HTTP 500: simulated failure', code: 'upstream_error' };
      l.done = { type: 'error', data: { message: msg.error.message, code: 'upstream_error', status: 'error' } };
      finish(msg, l);
      return;
    }
    if (i >= toks.length) {
      msg.status = 'complete';
      msg.finish_reason = 'stop';
      msg.usage = { prompt_tokens: 12, completion_tokens: toks.length };
      msg.ttft_ms = 120;
      msg.duration_ms = Date.now() - t0;
      l.done = { type: 'done', data: { status: 'complete', finish_reason: 'stop', usage: msg.usage, ttft_ms: 120, duration_ms: msg.duration_ms } };
      finish(msg, l);
      return;
    }
    const t = toks[i++];
    l.deltas.push(t);
    msg.content += t;
    for (const s of l.subs) s.write(`event: delta\nid: ${l.deltas.length}\ndata: ${JSON.stringify({ text: t })}\n\n`);
    l.timer = setTimeout(step, 25 + Math.random() * 30);
  };
  l.timer = setTimeout(step, 150);
}

function finish(msg, l) {
  msg.updated_at = now();
  for (const s of l.subs) {
    s.write(`event: ${l.done.type}\ndata: ${JSON.stringify(l.done.data)}\n\n`);
    s.end();
  }
  l.subs.clear();
}

const messagesFor = (cid) => [...messages.values()].filter((m) => m.conversation_id === cid);

function newMessage(c, role, parent, content, model) {
  const m = {
    id: newId(), conversation_id: c.id, parent_id: parent, role, content, status: role === 'user' ? 'complete' : 'streaming',
    model, provider: 'simulated', finish_reason: null, usage: null, ttft_ms: null, duration_ms: null, error: null,
    created_at: now(), updated_at: now(),
  };
  messages.set(m.id, m);
  return m;
}

function serveStatic(req, res) {
  const url = new URL(req.url, 'http://x');
  let rel = decodeURIComponent(url.pathname);
  if (rel.endsWith('/')) rel += 'index.html';
  let file = path.join(webRoot, path.normalize(rel));
  if (!file.startsWith(webRoot) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(webRoot, 'index.html');
  const ext = path.extname(file);
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  const headers = { 'Content-Type': types[ext] ?? 'application/octet-stream', 'X-Content-Type-Options': 'nosniff' };
  if (ext === '.html')
    headers['Content-Security-Policy'] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
  res.writeHead(200, headers);
  fs.createReadStream(file).pipe(res);
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname.split('/').filter(Boolean);
  if (p[0] !== 'api') return serveStatic(req, res);
  const method = req.method;
  if (p[1] === 'auth' && p[2] === 'state' && method === 'GET')
    return send(res, 200, {
      mode: 'single-user',
      user: { id: 'local', username: 'local', role: 'admin', disabled: false, created_at: now(), limits: null, effective_limits: null },
      setup_required: false,
    });
  if (p[1] === 'auth' || p[1] === 'admin') return err(res, 409, 'single-user mode', 'not_multi_user');
  if (p[1] === 'models') return send(res, 200, { models: [{ id: 'simulated', name: 'Simulated (offline)', provider: 'simulated', simulated: true }], default: 'simulated' });
  if (p[1] === 'conversations') {
    const cid = p[2];
    if (!cid && method === 'GET') {
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      const list = [...conversations.values()].filter((c) => c.title.toLowerCase().includes(q)).sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
      return send(res, 200, { conversations: list, next_before: null });
    }
    if (!cid && method === 'POST') {
      const b = await readBody(req);
      const c = { id: newId(), title: b.title ?? '', model: b.model ?? 'simulated', system_prompt: '', current_leaf_id: null, created_at: now(), updated_at: now() };
      conversations.set(c.id, c);
      return send(res, 201, c);
    }
    const c = conversations.get(cid);
    if (!c) return err(res, 404, 'conversation not found', 'not_found', 'not_found_error');
    if (!p[3]) {
      if (method === 'GET') return send(res, 200, { ...convJson(c), messages: messagesFor(cid).sort((a, b) => (a.created_at < b.created_at ? -1 : 1)) });
      if (method === 'PATCH') {
        const b = await readBody(req);
        for (const k of ['title', 'model', 'system_prompt', 'current_leaf_id']) if (b[k] !== undefined) c[k] = b[k];
        c.updated_at = now();
        return send(res, 200, c);
      }
      if (method === 'DELETE') {
        conversations.delete(cid);
        res.writeHead(204);
        return res.end();
      }
    }
    if (p[3] === 'messages' && method === 'POST') {
      const b = await readBody(req);
      const parent = 'parent_id' in b ? b.parent_id : c.current_leaf_id;
      const u = newMessage(c, 'user', parent, b.content, c.model);
      const a = newMessage(c, 'assistant', u.id, '', c.model);
      c.current_leaf_id = a.id;
      c.updated_at = now();
      startGeneration(a, b.content);
      return send(res, 201, { user_message: u, assistant_message: a });
    }
  }
  if (p[1] === 'messages') {
    const m = messages.get(p[2]);
    if (!m) return err(res, 404, 'message not found', 'not_found', 'not_found_error');
    const c = conversations.get(m.conversation_id);
    if (p[3] === 'regenerate' && method === 'POST') {
      const parent = m.role === 'assistant' ? m.parent_id : m.id;
      const a = newMessage(c, 'assistant', parent, '', c.model);
      c.current_leaf_id = a.id;
      startGeneration(a, messages.get(parent)?.content ?? '');
      return send(res, 201, { assistant_message: a });
    }
    if (p[3] === 'cancel' && method === 'POST') {
      const b = await readBody(req);
      const l = live.get(m.id);
      if (l && !l.done) {
        clearTimeout(l.timer);
        if (typeof b.shown === 'number') m.content = l.deltas.slice(0, b.shown).join('');
        m.status = 'cancelled';
        l.done = { type: 'done', data: { status: 'cancelled', finish_reason: 'cancelled', usage: null } };
        finish(m, l);
      }
      return send(res, 200, m);
    }
    if (p[3] === 'events' && method === 'GET') {
      const after = Number(req.headers['last-event-id'] ?? url.searchParams.get('after') ?? 0);
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
      const l = live.get(m.id);
      if (!l) {
        res.write(`event: delta\nid: 1\ndata: ${JSON.stringify({ text: m.content })}\n\nevent: done\ndata: ${JSON.stringify({ status: m.status })}\n\n`);
        return res.end();
      }
      for (let i = after; i < l.deltas.length; i++) res.write(`event: delta\nid: ${i + 1}\ndata: ${JSON.stringify({ text: l.deltas[i] })}\n\n`);
      if (l.done) {
        res.write(`event: ${l.done.type}\ndata: ${JSON.stringify(l.done.data)}\n\n`);
        return res.end();
      }
      l.subs.add(res);
      req.on('close', () => l.subs.delete(res));
      return;
    }
  }
  return err(res, 404, 'no such route', 'not_found', 'not_found_error');
});

server.listen(Number(args.port ?? 0), '127.0.0.1', () => {
  const port = server.address().port;
  if (args['port-file']) fs.writeFileSync(args['port-file'], String(port));
  console.log(`mock chatstream on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
