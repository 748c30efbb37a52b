// Resumable SSE client for GET /api/messages/{id}/events built on fetch +
// eventsource-parser. Reconnects with exponential backoff and resumes with
// Last-Event-ID, so no delta is lost or duplicated across reconnects.

import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface DoneEvent {
  status: string;
  finish_reason?: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  ttft_ms?: number | null;
  duration_ms?: number | null;
}

export interface ErrorEvent {
  message: string;
  code?: string;
  status?: string;
}

export interface SseHandlers {
  onDelta(id: number, text: string): void;
  onDone(ev: DoneEvent): void;
  onError(ev: ErrorEvent): void;
  onState?(state: StreamState, attempt: number): void;
}

export interface SseOptions {
  fetch?: typeof fetch;
  /** Last delta id already received (resume point). */
  lastEventId?: number;
  /** Base and cap of the exponential backoff, ms. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Give up after this many failed attempts in a row. */
  maxAttempts?: number;
  /** No byte (not even a heartbeat) for this long = dead connection. */
  idleTimeoutMs?: number;
  random?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (h: unknown) => void;
}

/** Backoff delay for attempt n (1-based): base * 2^(n-1), capped, with ±20% jitter. */
export function backoffDelay(attempt: number, base: number, cap: number, random: () => number): number {
  const raw = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export class SseClient {
  private lastId: number;
  private attempt = 0;
  private abort: AbortController | null = null;
  private timer: unknown = null;
  private idleTimer: unknown = null;
  private idleArmedAt = 0;
  private idleCtrl: AbortController | null = null;
  private stopped = false;
  private ended = false;
  private retrySoon = false; // came back online while an attempt was in flight
  private readonly f: typeof fetch;
  private readonly o: Required<Omit<SseOptions, 'fetch' | 'lastEventId'>>;
  private onOnline = () => this.reconnectNow();
  // The device lost its network: the socket may hang silently, so drop it now.
  private onOffline = () => this.abort?.abort();

  constructor(
    private readonly url: string,
    private readonly h: SseHandlers,
    opts: SseOptions = {},
  ) {
    this.f = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
    this.lastId = opts.lastEventId ?? 0;
    this.o = {
      backoffBaseMs: opts.backoffBaseMs ?? 500,
      backoffMaxMs: opts.backoffMaxMs ?? 10_000,
      maxAttempts: opts.maxAttempts ?? 60,
      idleTimeoutMs: opts.idleTimeoutMs ?? 45_000,
      random: opts.random ?? Math.random,
      setTimeout: opts.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms)),
      clearTimeout: opts.clearTimeout ?? ((h) => globalThis.clearTimeout(h as number)),
    };
  }

  get lastEventId(): number {
    return this.lastId;
  }

  start(): void {
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.onOnline);
      window.addEventListener('offline', this.onOffline);
    }
    void this.connect();
  }

  /** Stops for good (no more callbacks). */
  close(): void {
    this.stopped = true;
    this.cleanup();
    this.h.onState?.('closed', this.attempt);
  }

  /** Drops the current connection attempt/wait and reconnects at once (e.g. back online). */
  reconnectNow(): void {
    if (this.stopped || this.ended) return;
    if (this.timer !== null) {
      this.o.clearTimeout(this.timer);
      this.timer = null;
      void this.connect();
    } else {
      this.retrySoon = true;
    }
  }

  private cleanup(): void {
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.onOnline);
      window.removeEventListener('offline', this.onOffline);
    }
    if (this.timer !== null) this.o.clearTimeout(this.timer);
    if (this.idleTimer !== null) this.o.clearTimeout(this.idleTimer);
    this.timer = null;
    this.idleTimer = null;
    this.abort?.abort();
    this.abort = null;
  }

  /**
   * (Re)starts the idle watchdog. Called for every chunk, but the timer is replaced at
   * most every eighth of the timeout (clearing and setting a timer per delta is main-thread
   * work at 100 deltas/s): it is set to 9/8 of the timeout, so a silence is cut after
   * between 1 and 9/8 of the timeout.
   */
  private armIdle(ctrl: AbortController): void {
    const now = Date.now();
    if (this.idleTimer !== null && this.idleCtrl === ctrl && now - this.idleArmedAt < this.o.idleTimeoutMs / 8) return;
    if (this.idleTimer !== null) this.o.clearTimeout(this.idleTimer);
    this.idleArmedAt = now;
    this.idleCtrl = ctrl;
    this.idleTimer = this.o.setTimeout(() => ctrl.abort(), (this.o.idleTimeoutMs * 9) / 8);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.h.onState?.(this.attempt === 0 ? 'connecting' : 'reconnecting', this.attempt);
    const ctrl = new AbortController();
    this.abort = ctrl;
    let retryHint: number | null = null;
    let gotData = false;
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (this.lastId > 0) headers['Last-Event-ID'] = String(this.lastId);
      this.armIdle(ctrl);
      const res = await this.f(this.url, { headers, signal: ctrl.signal, cache: 'no-store' });
      if (!res.ok) {
        let message = `HTTP ${res.status}`;
        let code: string | undefined;
        try {
          const body = await res.json();
          message = body?.error?.message ?? message;
          code = body?.error?.code;
        } catch {
          /* not JSON */
        }
        throw new HttpStatusError(res.status, message, code);
      }
      if (!res.body) throw new Error('no body');
      this.retrySoon = false;
      this.h.onState?.('open', this.attempt);
      const parser = createParser({
        onEvent: (ev: EventSourceMessage) => {
          // A retryable error is no progress: repeated ones back off and eventually give up.
          if (ev.event !== 'error') gotData = true;
          this.dispatch(ev);
        },
        onRetry: (ms: number) => {
          retryHint = ms;
        },
      });
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.stopped || this.ended) break;
        this.armIdle(ctrl);
        parser.feed(decoder.decode(value, { stream: true }));
        if (gotData) this.attempt = 0;
      }
      if (this.stopped || this.ended) {
        ctrl.abort();
        return;
      }
      // Stream closed without done/error: resume.
    } catch (err) {
      if (this.stopped || this.ended) return;
      if (err instanceof HttpStatusError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) {
        this.ended = true;
        this.cleanup();
        this.h.onError({ message: err.message, code: err.code ?? `http_${err.status}`, status: 'error' });
        return;
      }
    }
    this.scheduleReconnect(retryHint);
  }

  private scheduleReconnect(retryHint: number | null): void {
    if (this.stopped || this.ended) return;
    if (this.idleTimer !== null) this.o.clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.attempt++;
    if (this.attempt > this.o.maxAttempts) {
      this.ended = true;
      this.cleanup();
      this.h.onError({ message: 'Lost connection to the server.', code: 'connection_lost', status: 'error' });
      return;
    }
    const delay = this.retrySoon
      ? 0
      : (retryHint ?? backoffDelay(this.attempt, this.o.backoffBaseMs, this.o.backoffMaxMs, this.o.random));
    this.retrySoon = false;
    this.h.onState?.('reconnecting', this.attempt);
    this.timer = this.o.setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }

  private dispatch(ev: EventSourceMessage): void {
    if (this.stopped || this.ended) return;
    const type = ev.event ?? 'message';
    if (type === 'delta') {
      const id = ev.id !== undefined ? Number(ev.id) : this.lastId + 1;
      if (Number.isFinite(id) && id <= this.lastId) return; // already have it
      let text: string;
      try {
        text = (JSON.parse(ev.data) as { text?: string }).text ?? '';
      } catch {
        return;
      }
      this.lastId = id;
      this.h.onDelta(id, text);
    } else if (type === 'done' || type === 'error') {
      let data: Record<string, unknown> = {};
      try {
        data = JSON.parse(ev.data) as Record<string, unknown>;
      } catch {
        /* keep empty */
      }
      if (type === 'error' && data.retryable === true) {
        // The answer goes on but this server cannot follow it right now (e.g. with several
        // instances, Redis is unreachable): reconnect with backoff from the last delta.
        this.abort?.abort();
        return;
      }
      this.ended = true;
      this.cleanup();
      if (type === 'done') this.h.onDone(data as unknown as DoneEvent);
      else
        this.h.onError({
          message: String(data.message ?? 'The model returned an error.'),
          code: data.code as string | undefined,
          status: data.status === 'interrupted' ? 'interrupted' : 'error',
        });
      this.h.onState?.('closed', this.attempt);
    } else if (type === 'shutdown') {
      // The server is going away; the read loop ends and we reconnect after `retry`.
      this.abort?.abort();
    }
  }
}
