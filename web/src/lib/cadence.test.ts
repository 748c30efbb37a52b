import { describe, expect, it } from 'vitest';
import { FrameCadence } from './cadence';

function frames(c: FrameCadence, count: number, interval: number, from = 0): { rendered: number; t: number } {
  let rendered = 0;
  let t = from;
  for (let i = 0; i < count; i++) {
    t += interval;
    if (c.frame(t)) rendered++;
  }
  return { rendered, t };
}

describe('FrameCadence', () => {
  it('renders every frame while frames are on time', () => {
    const c = new FrameCadence();
    expect(frames(c, 200, 1000 / 60).rendered).toBe(200);
    expect(c.interval).toBe(1);
  });

  it('renders every 2nd, then every 3rd frame when frames come late, and stays there', () => {
    const c = new FrameCadence({ window: 10 });
    let { t } = frames(c, 5, 1000 / 60);
    ({ t } = frames(c, 11, 25, t));
    expect(c.interval).toBe(2);
    ({ t } = frames(c, 10, 25, t));
    expect(c.interval).toBe(3);
    ({ t } = frames(c, 30, 25, t));
    expect(c.interval).toBe(3); // at most every 3rd
    const { rendered } = frames(c, 60, 1000 / 60, t);
    expect(c.interval).toBe(3); // no oscillation back
    expect(rendered).toBe(20);
  });

  it('treats pauses of the loop as pauses, not late frames', () => {
    const c = new FrameCadence({ window: 5 });
    let t = 0;
    for (let i = 0; i < 50; i++) {
      ({ t } = frames(c, 3, 1000 / 60, t));
      t += 500; // nothing to reveal for a while
    }
    expect(c.interval).toBe(1);
  });

  it('learns a faster display and holds it to that rate', () => {
    const c = new FrameCadence({ window: 10 });
    let { t } = frames(c, 5, 1000 / 120);
    ({ t } = frames(c, 11, 1000 / 60, t));
    expect(c.interval).toBe(2);
    const { rendered } = frames(c, 10, 1000 / 120, t);
    expect(rendered).toBeGreaterThanOrEqual(4);
    expect(rendered).toBeLessThanOrEqual(5);
  });

  it('with a minimum interval renders about that often: every 2nd frame at 60 Hz, every 4th at 120 Hz', () => {
    const c60 = new FrameCadence({ minIntervalMs: 30 });
    expect(frames(c60, 120, 1000 / 60).rendered).toBe(60);
    const c120 = new FrameCadence({ minIntervalMs: 30 });
    expect(frames(c120, 240, 1000 / 120).rendered).toBe(60);
    // Late frames (25 ms apart) still render at most every 2nd frame.
    const slow = new FrameCadence({ minIntervalMs: 30, window: 1000 });
    expect(frames(slow, 100, 25).rendered).toBe(50);
  });
});
