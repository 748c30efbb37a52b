import { describe, expect, it, vi } from 'vitest';
import { render } from '@testing-library/react';

const setups = { count: 0 };
vi.mock('remark-gfm', async (importOriginal) => {
  const real = (await importOriginal<typeof import('remark-gfm')>()).default;
  return {
    default: function counted(this: unknown, ...args: unknown[]) {
      setups.count++;
      return (real as unknown as (...a: unknown[]) => void).apply(this, args);
    },
  };
});

const { Markdown } = await import('./Markdown');

describe('GFM set-up cost per render', () => {
  it('sets remark-gfm up once, not once per rendered block, and every block still gets GFM', () => {
    const text = '| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n\nwww.example.com and ~~old~~\n\n| c |\n|---|\n| 3 |\n';
    const { rerender, container } = render(<Markdown text={text.slice(0, 10)} streaming />);
    for (let i = 11; i <= text.length; i++) rerender(<Markdown text={text.slice(0, i)} streaming />);
    rerender(<Markdown text={text} streaming={false} />);
    expect(setups.count).toBe(1);
    expect(container.querySelectorAll('table').length).toBe(2);
    expect(container.querySelector('input[type=checkbox]')).not.toBeNull();
    expect(container.querySelector('a[href="http://www.example.com"]')).not.toBeNull();
    expect(container.querySelector('del')?.textContent).toBe('old');
  });
});
