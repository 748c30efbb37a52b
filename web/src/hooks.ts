import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type RefObject } from 'react';
import type { LiveStream, StreamSnapshot } from './lib/stream';

const noopSubscribe = () => () => {};
const nullSnapshot = () => null;

/** Subscribes to a live stream's snapshot (null when there is none). */
export function useLiveStream(stream: LiveStream | undefined): StreamSnapshot | null {
  return useSyncExternalStore(stream ? stream.subscribe : noopSubscribe, stream ? stream.getSnapshot : nullSnapshot);
}

/**
 * Keeps a scroll container pinned to the bottom while its content grows, until
 * the user scrolls up. Uses a ResizeObserver (works without overflow-anchor,
 * e.g. in Safari). Returns whether the view is at the bottom and a jump function.
 */
export function useStickToBottom(
  scrollRef: RefObject<HTMLElement | null>,
  contentRef: RefObject<HTMLElement | null>,
  resetKey: unknown,
): { atBottom: boolean; jumpToLatest: () => void } {
  const follow = useRef(true);
  const lastTop = useRef(0);
  const [atBottom, setAtBottom] = useState(true);

  useEffect(() => {
    follow.current = true;
    setAtBottom(true);
    const el = scrollRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [resetKey, scrollRef]);

  useEffect(() => {
    const el = scrollRef.current;
    const content = contentRef.current;
    if (!el || !content) return;
    const distance = () => el.scrollHeight - el.scrollTop - el.clientHeight;
    const stop = () => {
      if (distance() > 2) {
        follow.current = false;
        setAtBottom(false);
      }
    };
    const onWheel = (e: WheelEvent) => {
      if (e.deltaY < 0) {
        follow.current = false;
        setAtBottom(false);
      }
    };
    const onKey = (e: KeyboardEvent) => {
      if (['PageUp', 'ArrowUp', 'Home'].includes(e.key)) follow.current = false;
    };
    const onScroll = () => {
      const top = el.scrollTop;
      const d = distance();
      if (d <= 24) follow.current = true;
      else if (top < lastTop.current - 1) follow.current = false;
      lastTop.current = top;
      setAtBottom(follow.current || d <= 24);
    };
    const pin = () => {
      if (follow.current) {
        el.scrollTop = el.scrollHeight;
        lastTop.current = el.scrollTop;
      }
    };
    const ro = new ResizeObserver(pin);
    ro.observe(content);
    ro.observe(el);
    el.addEventListener('wheel', onWheel, { passive: true });
    el.addEventListener('touchmove', stop, { passive: true });
    el.addEventListener('keydown', onKey);
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      ro.disconnect();
      el.removeEventListener('wheel', onWheel);
      el.removeEventListener('touchmove', stop);
      el.removeEventListener('keydown', onKey);
      el.removeEventListener('scroll', onScroll);
    };
  }, [scrollRef, contentRef]);

  const jumpToLatest = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    follow.current = true;
    setAtBottom(true);
    el.scrollTop = el.scrollHeight;
  }, [scrollRef]);

  return { atBottom, jumpToLatest };
}

/** Tracks the visual viewport (on-screen keyboard) in CSS variables used by the app shell. */
export function useVisualViewport(): void {
  useEffect(() => {
    const vv = window.visualViewport;
    if (!vv) return;
    const root = document.documentElement;
    const update = () => {
      root.style.setProperty('--app-height', `${Math.round(vv.height)}px`);
      root.style.setProperty('--app-top', `${Math.round(vv.offsetTop)}px`);
    };
    update();
    vv.addEventListener('resize', update);
    vv.addEventListener('scroll', update);
    return () => {
      vv.removeEventListener('resize', update);
      vv.removeEventListener('scroll', update);
    };
  }, []);
}

export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (cb) => {
      const m = window.matchMedia(query);
      m.addEventListener('change', cb);
      return () => m.removeEventListener('change', cb);
    },
    () => window.matchMedia(query).matches,
  );
}

/**
 * A seconds countdown (for Retry-After waits): `start(n)` begins at n, the value
 * ticks down once a second to 0. Null when not counting.
 */
export function useCountdown(): [number | null, (seconds: number | null) => void] {
  const [until, setUntil] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === null) return;
    const h = setInterval(() => {
      const t = Date.now();
      setNow(t);
      if (t >= until) setUntil(null);
    }, 1000);
    return () => clearInterval(h);
  }, [until]);
  const start = useCallback((seconds: number | null) => {
    const t = Date.now();
    setNow(t);
    setUntil(seconds === null || seconds <= 0 ? null : t + seconds * 1000);
  }, []);
  const left = until === null ? null : Math.max(0, Math.ceil((until - now) / 1000));
  return [left === 0 ? null : left, start];
}
