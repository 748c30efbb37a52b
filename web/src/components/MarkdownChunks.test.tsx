// The browser's work per streamed frame must not grow with the length of the answer:
// blocks are grouped in chunks (one content-visibility element per chunk), a frame
// touches only the tail's block, and finished blocks keep their elements.
import { describe, expect, it, vi } from 'vitest';
import { render } from '@testing-library/react';
import stylesCss from '../styles.css?raw';

vi.mock('react-markdown', () => ({
  default: ({ children }: { children: string }) => <p data-testid="block">{children}</p>,
}));

const { Markdown, CHUNK } = await import('./Markdown');

const paragraphs = (n: number) => Array.from({ length: n }, (_, i) => `Paragraph ${i} of the answer.\n\n`).join('');

describe('Markdown chunks', () => {
  it('has one top-level element per chunk of blocks, not per block', () => {
    for (const n of [1, CHUNK - 1, CHUNK, 3 * CHUNK + 2, 120]) {
      const { container, unmount } = render(<Markdown text={`${paragraphs(n)}Tail`} streaming />);
      const md = container.querySelector('.markdown')!;
      const blocks = n + 1;
      expect(md.children.length).toBe(Math.ceil(blocks / CHUNK));
      for (const chunk of md.children) {
        expect(chunk.className).toBe('md-chunk');
        expect(chunk.children.length).toBeLessThanOrEqual(CHUNK);
      }
      expect(md.querySelectorAll('[data-testid="block"]').length).toBe(blocks);
      unmount();
    }
  });

  it('changes only the tail when it grows, however long the message is, and never moves a finished block', async () => {
    for (const n of [3, 150]) {
      const head = paragraphs(n);
      const tail = 'The tail keeps growing word by word';
      const { container, rerender, unmount } = render(<Markdown text={`${head}${tail.slice(0, 5)}`} streaming />);
      const md = container.querySelector('.markdown')!;
      const before = [...md.querySelectorAll('[data-testid="block"]')].slice(0, n);
      const changed = new Set<Node>();
      const mo = new MutationObserver((records) => records.forEach((r) => changed.add(r.target)));
      mo.observe(md, { subtree: true, childList: true, characterData: true, attributes: true });
      for (let i = 6; i <= tail.length; i++) rerender(<Markdown text={`${head}${tail.slice(0, i)}`} streaming />);
      await Promise.resolve();
      mo.disconnect();
      const tailBlock = md.lastElementChild!.lastElementChild!;
      expect(tailBlock.textContent).toBe(tail);
      // Every change is inside the tail's block: not in other blocks, not in the chunk list.
      for (const t of changed) expect(tailBlock.contains(t)).toBe(true);
      expect(changed.size).toBeGreaterThan(0);
      // Finishing the tail and starting new blocks keeps every earlier element (no remount,
      // no move to another chunk), also across chunk boundaries.
      rerender(<Markdown text={`${head}${tail}.\n\n${paragraphs(2 * CHUNK)}`} streaming />);
      const after = [...md.querySelectorAll('[data-testid="block"]')];
      before.forEach((el, i) => expect(after[i]).toBe(el));
      expect(after[n]).toBe(tailBlock);
      unmount();
    }
  });

  it('leaves content-visibility to chunks (one per block made every frame walk all blocks)', () => {
    expect(stylesCss).toContain('.md-chunk');
    const css = stylesCss.replace(/\/\*[\s\S]*?\*\//g, '');
    const rules = [...css.matchAll(/([^{}]+)\{[^}]*content-visibility\s*:\s*auto[^}]*\}/g)];
    const selectors = rules.flatMap((m) => m[1].split(',').map((sel: string) => sel.trim()));
    expect(selectors.sort()).toEqual(['.md-chunk', '.msg:not(.streaming)']);
  });
});
