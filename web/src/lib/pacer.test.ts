import { describe, expect, it } from 'vitest';
import { RevealPacer } from './pacer';

function run(p: RevealPacer, from: number, to: number, frame = 16): number[] {
  const lens: number[] = [];
  for (let t = from; t <= to; t += frame) {
    p.tick(t);
    lens.push(p.shownLength);
  }
  return lens;
}

describe('RevealPacer', () => {
  it('types out a burst over several frames instead of jumping', () => {
    const p = new RevealPacer();
    p.tick(0);
    p.push('x'.repeat(300), 0, 1);
    p.finish();
    const lens = run(p, 16, 400);
    const steps = lens.map((l, i) => l - (i ? lens[i - 1] : 0));
    expect(lens[0]).toBeGreaterThan(0);
    expect(lens[0]).toBeLessThan(60); // first frame shows a small part only
    expect(Math.max(...steps)).toBeLessThan(60);
    expect(lens.filter((l) => l > 0 && l < 300).length).toBeGreaterThan(8); // grows over many frames
    expect(p.shownLength).toBe(300);
  });

  it('catches up with a long backlog within ~300 ms', () => {
    const p = new RevealPacer({ maxLagMs: 300 });
    p.tick(0);
    p.push('y'.repeat(20000), 0, 1);
    p.push('z', 0, 2);
    run(p, 16, 304);
    expect(p.shownLength).toBeGreaterThanOrEqual(20000);
  });

  it('never trails the end: everything is revealed within the lag after done', () => {
    const p = new RevealPacer({ maxLagMs: 300 });
    let t = 0;
    for (let i = 1; i <= 200; i++) {
      p.push(`tok${i} `, t, i);
      t += 10; // 100 tokens/s
      p.tick(t);
    }
    p.finish();
    const end = t;
    while (!p.done && t < end + 1000) {
      t += 16;
      p.tick(t);
    }
    expect(p.done).toBe(true);
    expect(t - end).toBeLessThanOrEqual(320);
    expect(p.visibleText).toBe(p.fullText);
  });

  it('shows the rest within endLagMs once the end time is known', () => {
    const p = new RevealPacer({ maxLagMs: 300, endLagMs: 150 });
    let t = 0;
    for (let i = 1; i <= 200; i++) {
      p.push(`tok${i} `, t, i);
      t += 10;
      p.tick(t);
    }
    const backlog = p.fullText.length - p.shownLength;
    p.finish(t);
    const end = t;
    const lens: number[] = [];
    while (!p.done && t < end + 1000) {
      t += 16;
      p.tick(t);
      lens.push(p.shownLength);
    }
    expect(backlog).toBeGreaterThan(50); // there was something left to catch up
    expect(p.done).toBe(true);
    expect(t - end).toBeLessThanOrEqual(150 + 16);
    expect(lens.length).toBeGreaterThan(5); // still typed out over several frames
  });

  it('keeps a steady stream flowing with bounded lag', () => {
    const p = new RevealPacer({ maxLagMs: 300 });
    let t = 0;
    let maxLagChars = 0;
    for (let i = 1; i <= 300; i++) {
      p.push('abcd', t, i);
      t += 10;
      if (i % 2 === 0) p.tick(t);
      maxLagChars = Math.max(maxLagChars, p.fullText.length - p.shownLength);
    }
    // 300 ms at 400 chars/s = 120 chars, plus one frame
    expect(maxLagChars).toBeLessThanOrEqual(130);
  });

  it('reveals everything at once in instant mode', () => {
    const p = new RevealPacer({ instant: true });
    p.push('hello world', 0, 1);
    p.finish();
    p.tick(1);
    expect(p.visibleText).toBe('hello world');
    expect(p.done).toBe(true);
  });

  it('tracks the last fully shown delta id', () => {
    const p = new RevealPacer();
    p.push('aaaa', 0, 1);
    p.push('bbbb', 0, 2);
    p.push('cccc', 0, 3);
    expect(p.lastShownDeltaId).toBe(0);
    p.revealAtLeast(6);
    expect(p.visibleText).toBe('aaaabb');
    expect(p.lastShownDeltaId).toBe(1);
    expect(p.textThroughLastShownDelta).toBe('aaaa');
    p.revealAtLeast(8);
    expect(p.lastShownDeltaId).toBe(2);
    expect(p.textThroughLastShownDelta).toBe('aaaabbbb');
  });

  it('instantly reveals text already on screen (re-attach after refresh)', () => {
    const p = new RevealPacer();
    p.push('Hello ', 0, 1);
    p.push('there, ', 0, 2);
    p.push('friend', 0, 3);
    p.revealAtLeast('Hello there, '.length);
    expect(p.visibleText).toBe('Hello there, ');
  });
});

describe('grapheme safety', () => {
  const samples = [
    '👨‍👩‍👧‍👦 family',
    'e\u0301te\u0301 cafe\u0301',
    '🇫🇷🇯🇵 flags',
    '👍🏽 thumbs',
    '한국어 텍스트',
    'नमस्ते दुनिया',
  ];

  it.each(samples)('never shows a partial cluster for %s', (sample) => {
    const p = new RevealPacer({ maxLagMs: 100 });
    // Feed one code point at a time (the finest split a UTF-8 stream can carry):
    // the worst possible split of every cluster.
    let t = 0;
    const seen = new Set<string>();
    const cps = Array.from(sample);
    for (let i = 0; i < cps.length; i++) {
      p.push(cps[i], t, i + 1);
      t += 5;
      p.tick(t);
      seen.add(p.visibleText);
    }
    p.finish();
    for (let k = 0; k < 100 && !p.done; k++) {
      t += 16;
      p.tick(t);
      seen.add(p.visibleText);
    }
    expect(p.visibleText).toBe(sample);
    const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const full = [...seg.segment(sample)].map((s) => s.segment);
    for (const v of seen) {
      // every visible prefix is a whole number of the final clusters
      let acc = '';
      let ok = v === '';
      for (const g of full) {
        acc += g;
        if (acc === v) ok = true;
      }
      expect(ok, `partial cluster visible: ${JSON.stringify(v)}`).toBe(true);
    }
  });
});
