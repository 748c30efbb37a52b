import { describe, expect, it, vi } from 'vitest';
import { render } from '@testing-library/react';

const rendered: string[] = [];
vi.mock('react-markdown', () => ({
  default: ({ children }: { children: string }) => {
    rendered.push(children);
    return <div data-testid="block">{children}</div>;
  },
}));

const { Markdown } = await import('./Markdown');

describe('Markdown block memoization', () => {
  it('re-renders only the growing tail, never finished blocks', () => {
    const text = 'First paragraph.\n\nSecond **bold** one.\n\n```js\nconst x = 1;\n```\n\nTail grows here and keeps growing';
    const { rerender } = render(<Markdown text={text.slice(0, 5)} streaming />);
    for (let i = 6; i <= text.length; i++) rerender(<Markdown text={text.slice(0, i)} streaming />);
    const count = (s: string) => rendered.filter((r) => r === s).length;
    expect(count('First paragraph.\n\n')).toBe(1);
    expect(count('Second **bold** one.\n\n')).toBe(1);
    // A finished plain code block is never parsed (it keeps the element it grew in).
    expect(count('```js\nconst x = 1;\n```\n\n')).toBe(0);
    // The tail renders once per update (bounded by the tail, not the message).
    expect(rendered.filter((r) => r.startsWith('Tail')).length).toBeGreaterThan(10);
  });

  it('renders the tail with unfinished syntax closed while streaming', () => {
    rendered.length = 0;
    render(<Markdown text={'Intro.\n\nSome **bol'} streaming />);
    expect(rendered).toContain('Some **bol**');
    rendered.length = 0;
    render(<Markdown text={'Some **bol'} streaming={false} />);
    expect(rendered).toEqual(['Some **bol']);
  });

  it('renders a code block without parsing it, while it streams and once it is closed, in the same element', () => {
    rendered.length = 0;
    const text = 'Intro.\n\n```ts\nconst a = 1;\nconst b = `x`;\n```\n\nAfter.';
    const fenceOpen = text.indexOf('```ts');
    const fenceClosed = text.indexOf('```\n\nAfter') + 3;
    const { rerender, container } = render(<Markdown text={text.slice(0, fenceOpen + 6)} streaming />);
    const element = container.querySelector('.code-block');
    for (let i = fenceOpen + 7; i < fenceClosed; i++) {
      rerender(<Markdown text={text.slice(0, i)} streaming />);
      const code = container.querySelector('.code-block pre code');
      expect(code?.textContent).toBe(`${text.slice(fenceOpen + 6, i).replace(/\n$/, '')}\n`.replace(/^\n$/, ''));
      expect(container.querySelector('.code-lang')?.textContent).toBe('ts');
    }
    // No parse of the growing block at all while its fence was open.
    expect(rendered.filter((r) => r.startsWith('```'))).toEqual([]);
    for (let i = fenceClosed; i <= text.length; i++) rerender(<Markdown text={text.slice(0, i)} streaming />);
    rerender(<Markdown text={text} streaming={false} />);
    // Once closed it is a finished block: still not parsed, the same element (not mounted
    // again), fully highlighted, and the text after it is parsed as usual.
    expect(rendered.filter((r) => r.includes('```'))).toEqual([]);
    expect(container.querySelector('.code-block')).toBe(element);
    const code = container.querySelector('.code-block pre code');
    expect(code?.textContent).toBe('const a = 1;\nconst b = `x`;\n');
    expect(code?.className).toBe('language-ts hljs');
    expect(code?.querySelector('.hljs-keyword')).not.toBeNull();
    expect(rendered).toContain('After.');
  });
});
