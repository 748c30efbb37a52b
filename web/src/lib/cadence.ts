// FrameCadence: how often a streaming message re-renders. Every animation frame
// while the device keeps up; when frames come late (the main thread cannot finish
// a render within a frame), every 2nd and then every 3rd frame, for the rest of
// the message (no oscillation). The reveal stays smooth: the pacer advances by the
// time that passed, so each render shows a little more text.
//
// Pure (frame times are passed in), tested with plain numbers.

export interface CadenceOptions {
  /** Render at least every this many frames (default 3). */
  maxEvery?: number;
  /** Frames looked at before deciding (default 20). */
  window?: number;
  /** Frames are "late" when their mean interval exceeds the display's by this factor (default 1.2). */
  slowRatio?: number;
  /**
   * Render at most about this often (ms; default 0 = every frame). A little jitter is
   * allowed, so 30 renders every 2nd frame at 60 Hz and every 4th at 120 Hz.
   */
  minIntervalMs?: number;
}

const VSYNC_60HZ = 1000 / 60;

export class FrameCadence {
  private every = 1;
  private count = 0;
  private last: number | null = null;
  private period = VSYNC_60HZ;
  private sum = 0;
  private n = 0;
  private readonly maxEvery: number;
  private readonly window: number;
  private readonly slowRatio: number;
  private readonly minIntervalMs: number;
  private lastRender = -Infinity;

  constructor(opts: CadenceOptions = {}) {
    this.maxEvery = opts.maxEvery ?? 3;
    this.window = opts.window ?? 20;
    this.slowRatio = opts.slowRatio ?? 1.2;
    this.minIntervalMs = opts.minIntervalMs ?? 0;
  }

  /** Render every this many frames. */
  get interval(): number {
    return this.every;
  }

  /** Called once per animation frame with its time; returns whether to render in this frame. */
  frame(t: number): boolean {
    if (this.last !== null) {
      const dt = t - this.last;
      // The shortest interval seen (>= 4 ms) is the display's frame period (120 Hz screens).
      if (dt >= 4 && dt < this.period) this.period = dt;
      // Longer gaps are pauses of the loop (nothing to reveal), not late frames.
      if (dt > 0 && dt < this.period * 4) {
        this.sum += dt;
        this.n++;
      }
      if (this.n >= this.window) {
        if (this.sum / this.n > this.period * this.slowRatio && this.every < this.maxEvery) this.every++;
        this.sum = 0;
        this.n = 0;
      }
    }
    this.last = t;
    this.count++;
    if (this.count % this.every !== 0 || t - this.lastRender < this.minIntervalMs - 3) return false;
    this.lastRender = t;
    return true;
  }
}
