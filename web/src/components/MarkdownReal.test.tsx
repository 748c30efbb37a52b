import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { Markdown } from './Markdown';

describe('Markdown rendering (real react-markdown)', () => {
  it('renders GFM tables, task lists, code with language label and safe links', () => {
    const md = [
      '| a | b |',
      '|---|---|',
      '| 1 | 2 |',
      '',
      '- [x] done',
      '- [ ] todo',
      '',
      '```python',
      'print("hi")',
      '```',
      '',
      'See [site](https://example.com) and <script>alert(1)</script> <b>bold</b> [bad](javascript:alert(1))',
    ].join('\n');
    const { container } = render(<Markdown text={md} streaming={false} />);
    expect(container.querySelector('table')).not.toBeNull();
    expect(container.querySelectorAll('input[type=checkbox]').length).toBe(2);
    expect(container.querySelector('.code-lang')?.textContent).toBe('python');
    expect(container.querySelector('pre code')?.className).toContain('hljs');
    const link = container.querySelector('a[href="https://example.com"]')!;
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(container.innerHTML).not.toContain('javascript:');
  });
});
