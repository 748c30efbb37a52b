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
    expect(count('```js\nconst x = 1;\n```\n\n')).toBe(1);
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

  it('renders a code block that is still streaming without parsing it, and parses it once closed', () => {
    rendered.length = 0;
    const text = 'Intro.\n\n```ts\nconst a = 1;\nconst b = `x`;\n```\n\nAfter.';
    const fenceOpen = text.indexOf('```ts');
    const fenceClosed = text.indexOf('```\n\nAfter') + 3;
    const { rerender, container } = render(<Markdown text={text.slice(0, fenceOpen + 6)} streaming />);
    for (let i = fenceOpen + 7; i < fenceClosed; i++) {
      rerender(<Markdown text={text.slice(0, i)} streaming />);
      const code = container.querySelector('.code-block pre code');
      expect(code?.textContent).toBe(`${text.slice(fenceOpen + 6, i).replace(/\n$/, '')}\n`.replace(/^\n$/, ''));
      expect(container.querySelector('.code-lang')?.textContent).toBe('ts');
    }
    // No parse of the growing block at all while its fence was open.
    expect(rendered.filter((r) => r.startsWith('```'))).toEqual([]);
    for (let i = fenceClosed; i <= text.length; i++) rerender(<Markdown text={text.slice(0, i)} streaming />);
    // Once closed, it is parsed as a finished block (once) and never again.
    expect(rendered.filter((r) => r === '```ts\nconst a = 1;\nconst b = `x`;\n```\n\n').length).toBe(1);
  });
});
