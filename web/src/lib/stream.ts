// A live assistant message: SSE client -> RevealPacer -> requestAnimationFrame
// loop -> subscribers (React via useSyncExternalStore). One per streaming message
// id, shared by every view of it.

import { FrameCadence } from './cadence';
import { RevealPacer } from './pacer';
import { SseClient, type DoneEvent, type ErrorEvent, type StreamState } from './sse';

/** Minimum time between two renders of a streaming message (ms). */
export const RENDER_INTERVAL_MS = 30;

export interface StreamSnapshot {
  text: string; // revealed text
  state: StreamState;
  finished: boolean; // server said done/error
  revealed: boolean; // finished and everything revealed
  result: DoneEvent | null;
  error: ErrorEvent | null;
  attempt: number;
}

export interface LiveStreamOptions {
  /** Text already shown for this message (from the stored message): revealed instantly when it arrives again. */
  initialText?: string;
  instant?: boolean;
  onFinished?: (s: StreamSnapshot) => void;
  raf?: (cb: (t: number) => void) => number;
  caf?: (h: number) => void;
  now?: () => number;
  sseFetch?: typeof fetch;
}

export function prefersReducedMotion(): boolean {
  return typeof window !== 'undefined' && !!window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
}

export class LiveStream {
  readonly pacer: RevealPacer;
  // About 30 renders per second: the reveal stays even (the pacer advances by the time
  // that passed) and the main thread has room for everything else between renders.
  private cadence = new FrameCadence({ minIntervalMs: RENDER_INTERVAL_MS });
  private sse: SseClient;
  private listeners = new Set<() => void>();
  private snap: StreamSnapshot;
  private frame: number | null = null;
  private initial: string;
  private raf: (cb: (t: number) => void) => number;
  private caf: (h: number) => void;
  private now: () => number;
  private notifiedFinish = false;

  constructor(
    readonly messageId: string,
    url: string,
    private readonly opts: LiveStreamOptions = {},
  ) {
    this.initial = opts.initialText ?? '';
    this.pacer = new RevealPacer({ instant: opts.instant ?? prefersReducedMotion() });
    this.raf = opts.raf ?? ((cb) => requestAnimationFrame(cb));
    this.caf = opts.caf ?? ((h) => cancelAnimationFrame(h));
    this.now = opts.now ?? (() => performance.now());
    this.snap = {
      text: this.initial,
      state: 'connecting',
      finished: false,
      revealed: false,
      result: null,
      error: null,
      attempt: 0,
    };
    this.sse = new SseClient(
      url,
      {
        onDelta: (id, text) => {
          this.pacer.push(text, this.now(), id);
          if (this.initial) this.pacer.revealAtLeast(this.initial.length);
          this.schedule();
        },
        onDone: (ev) => {
          this.pacer.finish(this.now());
          this.update({ finished: true, result: ev });
          this.schedule();
        },
        onError: (ev) => {
          this.pacer.finish(this.now());
          this.update({ finished: true, error: ev });
          this.schedule();
        },
        onState: (state, attempt) => {
          if (state === 'closed' && !this.snap.finished) return;
          this.update({ state, attempt });
        },
      },
      { fetch: opts.sseFetch },
    );
  }

  start(): void {
    this.sse.start();
  }

  /** Last delta id whose text is fully on screen. */
  get shownDeltaId(): number {
    return this.pacer.lastShownDeltaId;
  }

  /** Freezes the reveal where it is (for Stop) and returns the delta id to save up to. */
  freeze(): { shown: number; text: string } {
    const shown = this.pacer.lastShownDeltaId;
    const text = this.pacer.textThroughLastShownDelta;
    this.dispose();
    this.update({ text, finished: true, revealed: true, state: 'closed' });
    return { shown, text };
  }

  dispose(): void {
    this.sse.close();
    if (this.frame !== null) this.caf(this.frame);
    this.frame = null;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): StreamSnapshot => this.snap;

  private update(patch: Partial<StreamSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const l of this.listeners) l();
  }

  private schedule(): void {
    if (this.frame === null) this.frame = this.raf((t) => this.onFrame(t));
  }

  private onFrame(t: number): void {
    this.frame = null;
    // On a device that cannot render every frame, skip frames (the pacer then
    // advances by the longer time at the next render); never skip the last one.
    if (!this.cadence.frame(t) && !this.pacer.done) {
      this.schedule();
      return;
    }
    const changed = this.pacer.tick(t);
    // Until the replay catches up with what was already on screen, keep showing that.
    const visible = this.pacer.visibleText;
    const text = visible.length >= this.initial.length || !this.initial.startsWith(visible) ? visible : this.initial;
    const revealed = this.pacer.done;
    if (changed || revealed !== this.snap.revealed || text !== this.snap.text) this.update({ text, revealed });
    if (revealed) {
      if (!this.notifiedFinish) {
        this.notifiedFinish = true;
        this.opts.onFinished?.(this.snap);
      }
      return;
    }
    if (this.pacer.pending > 0 || this.snap.finished) this.schedule();
  }
}
