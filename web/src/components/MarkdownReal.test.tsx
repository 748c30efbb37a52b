import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { Markdown } from './Markdown';
import { closeTail } from '../lib/closeTail';
import { warmLanguage } from '../lib/highlight';

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

  it('renders a growing code block (no parse) with the same text and structure as the parsed block', () => {
    warmLanguage('typescript');
    const block = '```typescript\nfunction f(a: number) {\n\n  return `${a}` + "<b>";\n}\n';
    for (let i = block.indexOf('\n') + 1; i <= block.length; i++) {
      const prefix = block.slice(0, i);
      const fast = render(<Markdown text={prefix} streaming />);
      const parsed = render(<Markdown text={closeTail(prefix)} streaming={false} />);
      const code = (c: HTMLElement) => c.querySelector('.code-block pre code');
      expect(code(fast.container)?.textContent).toBe(code(parsed.container)?.textContent);
      expect(fast.container.querySelector('.code-lang')?.textContent).toBe('typescript');
      expect(code(fast.container)?.className).toBe('language-typescript hljs');
      expect(fast.container.querySelector('b')).toBeNull();
      fast.unmount();
      parsed.unmount();
    }
  });
});
