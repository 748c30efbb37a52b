import { describe, expect, it, vi } from 'vitest';
import { LiveStream } from './stream';

function sseBody(events: string): Response {
  return new Response(new TextEncoder().encode(events), { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

/** Manual animation frames. */
function frames() {
  let cbs: Array<(t: number) => void> = [];
  let t = 0;
  return {
    raf: (cb: (t: number) => void) => (cbs.push(cb), cbs.length),
    caf: () => {},
    now: () => t,
    run(n: number, dt = 16) {
      for (let i = 0; i < n; i++) {
        t += dt;
        const run = cbs;
        cbs = [];
        for (const cb of run) cb(t);
      }
    },
  };
}

const flush = () => new Promise((r) => setTimeout(r, 5));

describe('LiveStream', () => {
  it('re-attaching after a refresh shows saved text at once and continues without duplicates', async () => {
    const f = frames();
    const wire =
      'event: delta\nid: 1\ndata: {"text":"Hello "}\n\n' +
      'event: delta\nid: 2\ndata: {"text":"there, "}\n\n' +
      'event: delta\nid: 3\ndata: {"text":"friend."}\n\n' +
      'event: done\ndata: {"status":"complete"}\n\n';
    let finished = false;
    const s = new LiveStream('m', '/e', {
      initialText: 'Hello there, ',
      instant: false,
      raf: f.raf,
      caf: f.caf,
      now: f.now,
      sseFetch: (async () => sseBody(wire)) as unknown as typeof fetch,
      onFinished: () => (finished = true),
    });
    const seen: string[] = [];
    s.subscribe(() => seen.push(s.getSnapshot().text));
    expect(s.getSnapshot().text).toBe('Hello there, ');
    s.start();
    await flush();
    f.run(1);
    // Never goes back behind what was on screen.
    expect(s.getSnapshot().text.startsWith('Hello there, ')).toBe(true);
    f.run(40);
    expect(s.getSnapshot().text).toBe('Hello there, friend.');
    expect(s.getSnapshot().revealed).toBe(true);
    expect(finished).toBe(true);
    for (const t of seen) expect(t.length === 0 || 'Hello there, friend.'.startsWith(t)).toBe(true);
    expect(seen.every((t) => t.length >= 'Hello there, '.length)).toBe(true);
  });

  it('freeze returns the last fully shown delta and its text', async () => {
    const f = frames();
    const wire = 'event: delta\nid: 1\ndata: {"text":"aaaa "}\n\nevent: delta\nid: 2\ndata: {"text":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb "}\n\n';
    const s = new LiveStream('m', '/e', {
      raf: f.raf,
      caf: f.caf,
      now: f.now,
      instant: false,
      sseFetch: (async () => sseBody(wire)) as unknown as typeof fetch,
    });
    s.start();
    await flush();
    f.run(3);
    const visible = s.getSnapshot().text;
    expect(visible.length).toBeGreaterThan(5);
    expect(visible.length).toBeLessThan(60);
    const { shown, text } = s.freeze();
    expect(shown).toBe(1);
    expect(text).toBe('aaaa ');
    expect(s.getSnapshot().text).toBe('aaaa ');
    expect(s.getSnapshot().revealed).toBe(true);
  });
});

describe('LiveStream with fake timers (real requestAnimationFrame loop)', () => {
  it('types a burst over several frames and ends within ~300 ms of done', async () => {
    vi.useFakeTimers({ toFake: ['requestAnimationFrame', 'cancelAnimationFrame', 'performance', 'setTimeout', 'clearTimeout', 'Date'] });
    try {
      const text = 'word '.repeat(200);
      const wire = `event: delta\nid: 1\ndata: ${JSON.stringify({ text })}\n\nevent: done\ndata: {"status":"complete"}\n\n`;
      const s = new LiveStream('m', '/e', { instant: false, sseFetch: (async () => sseBody(wire)) as unknown as typeof fetch });
      const lengths: number[] = [];
      s.subscribe(() => lengths.push(s.getSnapshot().text.length));
      s.start();
      await vi.advanceTimersByTimeAsync(0);
      await vi.advanceTimersByTimeAsync(16);
      const first = s.getSnapshot().text.length;
      expect(first).toBeLessThan(text.length / 4);
      await vi.advanceTimersByTimeAsync(320);
      expect(s.getSnapshot().text).toBe(text);
      expect(s.getSnapshot().revealed).toBe(true);
      // Rendered about 30 times a second (RENDER_INTERVAL_MS): several steps, not a jump.
      expect(new Set(lengths).size).toBeGreaterThan(4);
    } finally {
      vi.useRealTimers();
    }
  });
});
