// RevealPacer: buffers streamed text and decides, frame by frame, how much of it
// to show. Pure (time is passed in), so it is tested with plain numbers.
//
// Rules:
//  - every grapheme becomes visible at most `maxLagMs` after it arrived, so a long
//    backlog catches up within ~300 ms and the end is never left trailing;
//  - between deadlines the reveal rate is spread evenly (backlog / time left),
//    so a burst is typed out over a few frames instead of jumping;
//  - only whole grapheme clusters are revealed; the last grapheme of the buffer
//    is held back until more text or the end arrives (it might still grow, e.g.
//    a ZWJ emoji sequence or a combining mark split across two deltas);
//  - `instant` (history, reduced motion) reveals everything at once.
//  - it tracks which delta ids are fully revealed (for cancel {shown: n}).

import { graphemeEnds } from './graphemes';

export interface PacerOptions {
  maxLagMs?: number;
  /** Once the stream has ended, whatever is left is shown within this time (default 150 ms). */
  endLagMs?: number;
  instant?: boolean;
}

interface Arrival {
  end: number; // grapheme count after this delta
  at: number; // arrival time (ms)
}

interface DeltaMark {
  id: number;
  end: number; // UTF-16 offset at which this delta's text ends
}

export class RevealPacer {
  private text = '';
  /** Grapheme end offsets of `text` (settled ones; the last may still grow). */
  private ends: number[] = [];
  private arrivals: Arrival[] = [];
  private arrivalHead = 0;
  private deltas: DeltaMark[] = [];
  private deltaHead = 0;
  private shown = 0; // graphemes revealed
  private carry = 0; // fractional graphemes carried between frames
  private lastTick: number | null = null;
  private finished = false;
  private finishedAt: number | null = null;
  readonly maxLagMs: number;
  readonly endLagMs: number;
  instant: boolean;

  constructor(opts: PacerOptions = {}) {
    this.maxLagMs = opts.maxLagMs ?? 300;
    this.endLagMs = Math.min(opts.endLagMs ?? 150, this.maxLagMs);
    this.instant = opts.instant ?? false;
  }

  /** Appends a delta's text. `id` is the SSE event id (1, 2, 3, ...). */
  push(text: string, now: number, id?: number): void {
    if (text.length > 0) {
      // Re-segment from the start of the last (possibly incomplete) grapheme.
      const lastStart = this.ends.length > 1 ? this.ends[this.ends.length - 2] : 0;
      const keep = this.ends.length > 0 ? this.ends.length - 1 : 0;
      this.text += text;
      const tail = graphemeEnds(this.text.slice(lastStart));
      this.ends.length = keep;
      for (const e of tail) this.ends.push(lastStart + e);
      if (this.shown > this.ends.length) this.shown = this.ends.length;
      this.arrivals.push({ end: this.ends.length, at: now });
    }
    if (id !== undefined) this.deltas.push({ id, end: this.text.length });
  }

  /**
   * The stream ended: the last grapheme is final. With the time of the end, the rest is
   * revealed within `endLagMs` of it (the end does not trail by a full `maxLagMs`).
   */
  finish(now?: number): void {
    this.finished = true;
    if (now !== undefined && this.finishedAt === null) this.finishedAt = now;
  }

  /** Reveal immediately the first `count` UTF-16 units (text the user already saw). */
  revealAtLeast(count: number): void {
    let i = this.shown;
    while (i < this.ends.length && this.ends[i] <= count) i++;
    this.shown = Math.max(this.shown, i);
  }

  /** Graphemes that may be revealed now (holds back a possibly-growing last one). */
  private revealable(): number {
    if (this.finished || this.ends.length === 0) return this.ends.length;
    return this.ends.length - 1;
  }

  /** Advances the reveal for a frame at time `now`. Returns true if the visible text changed. */
  tick(now: number): boolean {
    const before = this.shown;
    const limit = this.revealable();
    const dt = this.lastTick === null ? 16 : Math.max(0, now - this.lastTick);
    this.lastTick = now;
    if (this.instant) {
      this.shown = limit;
      return this.shown !== before;
    }
    // Drop arrivals that are already fully revealed.
    while (this.arrivalHead < this.arrivals.length && this.arrivals[this.arrivalHead].end <= this.shown)
      this.arrivalHead++;
    if (this.shown >= limit) {
      this.carry = 0;
      return false;
    }
    // Everything that arrived more than maxLag ago must be visible now.
    let due = this.shown;
    for (let i = this.arrivalHead; i < this.arrivals.length; i++) {
      const a = this.arrivals[i];
      if (now - a.at >= this.maxLagMs) due = a.end;
      else break;
    }
    // After the end, everything is due by finishedAt + endLagMs.
    const endDeadline = this.finishedAt === null ? Infinity : this.finishedAt + this.endLagMs;
    if (now >= endDeadline) due = limit;
    // Spread the rest evenly until the oldest pending deadline.
    const oldest = this.arrivals[this.arrivalHead];
    const deadline = Math.min(oldest ? oldest.at + this.maxLagMs : Infinity, endDeadline);
    const timeLeft = Number.isFinite(deadline) ? Math.max(dt, deadline - now) : dt;
    const backlog = limit - this.shown;
    const amount = (backlog * dt) / timeLeft + this.carry;
    let step = Math.floor(amount);
    this.carry = amount - step;
    if (step < 1 && due <= this.shown) {
      // Keep moving at least a little every few frames.
      return false;
    }
    step = Math.max(step, due - this.shown, 0);
    this.shown = Math.min(limit, this.shown + step);
    if (this.shown >= limit) this.carry = 0;
    return this.shown !== before;
  }

  /** UTF-16 length of the revealed text. */
  get shownLength(): number {
    return this.shown === 0 ? 0 : this.ends[this.shown - 1];
  }

  get visibleText(): string {
    return this.text.slice(0, this.shownLength);
  }

  get fullText(): string {
    return this.text;
  }

  /** Number of graphemes buffered but not yet shown. */
  get backlog(): number {
    return this.ends.length - this.shown;
  }

  /** Graphemes that could be revealed now but are not yet. */
  get pending(): number {
    return Math.max(0, this.revealable() - this.shown);
  }

  get done(): boolean {
    return this.finished && this.shown >= this.ends.length;
  }

  /** Id of the last delta whose text is entirely visible (0 if none). */
  get lastShownDeltaId(): number {
    const len = this.shownLength;
    while (this.deltaHead < this.deltas.length && this.deltas[this.deltaHead].end <= len)
      this.deltaHead++;
    return this.deltaHead === 0 ? 0 : this.deltas[this.deltaHead - 1].id;
  }

  /** Text of deltas 1..lastShownDeltaId: what a cancel with {shown} saves. */
  get textThroughLastShownDelta(): string {
    const id = this.lastShownDeltaId;
    if (id === 0) return '';
    return this.text.slice(0, this.deltas[this.deltaHead - 1].end);
  }
}
