import { describe, expect, it, vi } from 'vitest';
import { SseClient, backoffDelay } from './sse';

type Chunked = string[];

function streamOf(chunks: Chunked, opts: { hang?: boolean; failAfter?: boolean } = {}): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (i < chunks.length) ctrl.enqueue(enc.encode(chunks[i++]));
      else if (opts.failAfter) ctrl.error(new TypeError('network error'));
      else if (!opts.hang) ctrl.close();
    },
  });
}

function fakeFetch(responses: Array<() => Response | Promise<Response>>) {
  const calls: Array<{ url: string; headers: Record<string, string> }> = [];
  const f = vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ url, headers: { ...(init?.headers as Record<string, string>) } });
    const next = responses.shift();
    if (!next) throw new TypeError('no more responses');
    return next();
  });
  return { f: f as unknown as typeof fetch, calls };
}

const sseResponse = (chunks: Chunked, opts?: { failAfter?: boolean }) => () =>
  new Response(streamOf(chunks, opts), { status: 200, headers: { 'Content-Type': 'text/event-stream' } });

function collect() {
  const deltas: Array<[number, string]> = [];
  const done: unknown[] = [];
  const errors: unknown[] = [];
  const states: string[] = [];
  return {
    deltas,
    done,
    errors,
    states,
    h: {
      onDelta: (id: number, t: string) => deltas.push([id, t]),
      onDone: (e: unknown) => done.push(e),
      onError: (e: unknown) => errors.push(e),
      onState: (s: string) => states.push(s),
    },
  };
}

const immediate = { setTimeout: (fn: () => void) => (queueMicrotask(fn), 1), clearTimeout: () => {} };

async function until(pred: () => boolean) {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(pred()).toBe(true);
}

describe('SseClient', () => {
  it('parses events split at arbitrary byte boundaries', async () => {
    const wire =
      'event: delta\nid: 1\ndata: {"text":"Hel"}\n\n: hb\n\nevent: delta\r\nid: 2\r\ndata: {"text":"lo 👋"}\r\n\r\nevent: done\ndata: {"status":"complete","finish_reason":"stop"}\n\n';
    const chunks: string[] = [];
    for (let i = 0; i < wire.length; i += 7) chunks.push(wire.slice(i, i + 7));
    const { f } = fakeFetch([sseResponse(chunks)]);
    const c = collect();
    new SseClient('/e', c.h, { fetch: f, ...immediate }).start();
    await until(() => c.done.length === 1);
    expect(c.deltas).toEqual([
      [1, 'Hel'],
      [2, 'lo 👋'],
    ]);
    expect(c.done[0]).toMatchObject({ status: 'complete' });
  });

  it('reconnects with Last-Event-ID after the connection drops, without duplicates', async () => {
    const { f, calls } = fakeFetch([
      sseResponse(['event: delta\nid: 1\ndata: {"text":"a"}\n\nevent: delta\nid: 2\ndata: {"text":"b"}\n\nevent: del'], {
        failAfter: true,
      }),
      () => Promise.reject(new TypeError('offline')),
      // server replays from 3, but also resends 2 (must be ignored)
      sseResponse([
        'event: delta\nid: 2\ndata: {"text":"b"}\n\nevent: delta\nid: 3\ndata: {"text":"c"}\n\nevent: done\ndata: {"status":"complete"}\n\n',
      ]),
    ]);
    const c = collect();
    new SseClient('/e', c.h, { fetch: f, ...immediate }).start();
    await until(() => c.done.length === 1);
    expect(c.deltas.map((d) => d[1]).join('')).toBe('abc');
    expect(calls.length).toBe(3);
    expect(calls[0].headers['Last-Event-ID']).toBeUndefined();
    expect(calls[1].headers['Last-Event-ID']).toBe('2');
    expect(calls[2].headers['Last-Event-ID']).toBe('2');
    expect(c.states).toContain('reconnecting');
  });

  it('resumes from a given id', async () => {
    const { f, calls } = fakeFetch([sseResponse(['event: done\ndata: {"status":"complete"}\n\n'])]);
    const c = collect();
    new SseClient('/e', c.h, { fetch: f, lastEventId: 41, ...immediate }).start();
    await until(() => c.done.length === 1);
    expect(calls[0].headers['Last-Event-ID']).toBe('41');
  });

  it('reconnects when the stream ends without done, and after a shutdown event', async () => {
    const { f, calls } = fakeFetch([
      sseResponse(['event: delta\nid: 1\ndata: {"text":"x"}\n\n']),
      sseResponse(['event: shutdown\nretry: 5\ndata: {}\n\n'], {}),
      sseResponse(['event: delta\nid: 2\ndata: {"text":"y"}\n\nevent: done\ndata: {"status":"complete"}\n\n']),
    ]);
    const c = collect();
    new SseClient('/e', c.h, { fetch: f, ...immediate }).start();
    await until(() => c.done.length === 1);
    expect(c.deltas.map((d) => d[1]).join('')).toBe('xy');
    expect(calls[2].headers['Last-Event-ID']).toBe('1');
  });

  it('reports error events and stops', async () => {
    const { f, calls } = fakeFetch([
      sseResponse(['event: delta\nid: 1\ndata: {"text":"x"}\n\nevent: error\ndata: {"message":"upstream 500: boom","code":"upstream_error","status":"error"}\n\n']),
    ]);
    const c = collect();
    new SseClient('/e', c.h, { fetch: f, ...immediate }).start();
    await until(() => c.errors.length === 1);
    expect(c.errors[0]).toMatchObject({ message: 'upstream 500: boom', code: 'upstream_error' });
    expect(calls.length).toBe(1);
  });

  it('reconnects after a retryable error event and continues without duplicates', async () => {
    const unavailable =
      'event: error\ndata: {"message":"unavailable","code":"live_stream_unavailable","status":"streaming","last_seq":1,"retryable":true}\n\n';
    const { f, calls } = fakeFetch([
      sseResponse(['event: delta\nid: 1\ndata: {"text":"x"}\n\n', unavailable]),
      sseResponse([unavailable]),
      sseResponse(['event: delta\nid: 2\ndata: {"text":"y"}\n\nevent: done\ndata: {"status":"complete"}\n\n']),
    ]);
    const c = collect();
    new SseClient('/e', c.h, { fetch: f, ...immediate }).start();
    await until(() => c.done.length === 1);
    expect(c.errors).toEqual([]);
    expect(c.deltas.map((d) => d[1]).join('')).toBe('xy');
    expect(calls.map((x) => x.headers['Last-Event-ID'])).toEqual([undefined, '1', '1']);
  });

  it('gives up after too many retryable errors in a row', async () => {
    const unavailable = () =>
      sseResponse(['event: error\ndata: {"message":"unavailable","code":"live_stream_unavailable","retryable":true}\n\n']);
    const { f, calls } = fakeFetch([unavailable(), unavailable(), unavailable(), unavailable()]);
    const c = collect();
    new SseClient('/e', c.h, { fetch: f, maxAttempts: 2, ...immediate }).start();
    await until(() => c.errors.length === 1);
    expect(c.errors[0]).toMatchObject({ code: 'connection_lost' });
    expect(calls.length).toBe(3);
  });

  it('reports an answer interrupted by a lost server as interrupted', async () => {
    const { f } = fakeFetch([
      sseResponse(['event: error\ndata: {"message":"The server generating this answer stopped.","code":"owner_lost","status":"interrupted"}\n\n']),
    ]);
    const c = collect();
    new SseClient('/e', c.h, { fetch: f, ...immediate }).start();
    await until(() => c.errors.length === 1);
    expect(c.errors[0]).toMatchObject({ code: 'owner_lost', status: 'interrupted' });
  });

  it('treats 404 as final and 503 as retryable', async () => {
    const { f, calls } = fakeFetch([
      () => new Response('{"error":{"message":"busy","code":"unavailable"}}', { status: 503 }),
      () => new Response('{"error":{"message":"no such message","code":"not_found"}}', { status: 404 }),
    ]);
    const c = collect();
    new SseClient('/e', c.h, { fetch: f, ...immediate }).start();
    await until(() => c.errors.length === 1);
    expect(calls.length).toBe(2);
    expect(c.errors[0]).toMatchObject({ message: 'no such message' });
  });

  it('backs off exponentially with a cap', () => {
    const mid = () => 0.5;
    expect(backoffDelay(1, 500, 10000, mid)).toBe(500);
    expect(backoffDelay(2, 500, 10000, mid)).toBe(1000);
    expect(backoffDelay(3, 500, 10000, mid)).toBe(2000);
    expect(backoffDelay(10, 500, 10000, mid)).toBe(10000);
  });

  it('uses the backoff timer between attempts', async () => {
    vi.useFakeTimers();
    try {
      const { f, calls } = fakeFetch([
        () => Promise.reject(new TypeError('offline')),
        () => Promise.reject(new TypeError('offline')),
        sseResponse(['event: done\ndata: {"status":"complete"}\n\n']),
      ]);
      const c = collect();
      new SseClient('/e', c.h, { fetch: f, random: () => 0.5 }).start();
      await vi.advanceTimersByTimeAsync(10);
      expect(calls.length).toBe(1);
      await vi.advanceTimersByTimeAsync(499);
      expect(calls.length).toBe(2);
      await vi.advanceTimersByTimeAsync(600);
      expect(calls.length).toBe(2); // second wait is 1000 ms
      await vi.advanceTimersByTimeAsync(500);
      expect(calls.length).toBe(3);
      expect(c.done.length).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('SseClient on a phone losing its network', () => {
  it('drops the connection on "offline" and reconnects at once on "online" with Last-Event-ID', async () => {
    const calls: Array<Record<string, string>> = [];
    const enc = new TextEncoder();
    const f = (async (_url: string, init?: RequestInit) => {
      calls.push({ ...(init?.headers as Record<string, string>) });
      if (calls.length === 1) {
        // First connection: one delta, then hangs until aborted.
        const body = new ReadableStream<Uint8Array>({
          start(ctrl) {
            ctrl.enqueue(enc.encode('event: delta\nid: 1\ndata: {"text":"a"}\n\n'));
            init?.signal?.addEventListener('abort', () => ctrl.error(new DOMException('aborted', 'AbortError')));
          },
        });
        return new Response(body, { status: 200 });
      }
      if (calls.length === 2) return Promise.reject(new TypeError('offline'));
      return new Response(enc.encode('event: delta\nid: 2\ndata: {"text":"b"}\n\nevent: done\ndata: {"status":"complete"}\n\n'), { status: 200 });
    }) as unknown as typeof fetch;
    const c = collect();
    // Long backoff: only the "online" event can bring the third attempt quickly.
    const timers: Array<() => void> = []; // reconnect timers only (idle watchdog timers ignored)
    const delays: number[] = [];
    let handles = 0;
    new SseClient('/e', c.h, {
      fetch: f,
      backoffBaseMs: 60_000,
      idleTimeoutMs: 1e9,
      setTimeout: (fn, ms) => {
        if (ms < 1e9) {
          timers.push(fn);
          delays.push(ms);
        }
        return ++handles;
      },
      clearTimeout: () => {},
    }).start();
    await until(() => c.deltas.length === 1);
    window.dispatchEvent(new Event('offline'));
    await until(() => c.states.includes('reconnecting'));
    // The scheduled retry (after the abort) fires and fails: still offline.
    await until(() => timers.length >= 1);
    timers[timers.length - 1]();
    await until(() => calls.length === 2);
    // Back online while that attempt may still be failing: the next attempt starts at once
    // (either the pending 60 s wait is cut short, or the failing attempt retries with no wait).
    window.dispatchEvent(new Event('online'));
    const before = timers.length;
    for (let i = 0; i < 50 && c.done.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 2));
      if (timers.length > before) timers[timers.length - 1]();
    }
    await until(() => c.done.length === 1);
    expect(delays.slice(before).every((d) => d === 0)).toBe(true);
    expect(c.deltas.map((d) => d[1]).join('')).toBe('ab');
    expect(calls[2]['Last-Event-ID']).toBe('1');
  });
});
