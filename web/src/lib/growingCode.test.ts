import { describe, expect, it } from 'vitest';
import { growingFence } from './growingCode';
import { highlightGrowingParts, highlightStats, warmLanguage } from './highlight';

describe('growingFence', () => {
  it('recognises a code block whose closing fence has not arrived', () => {
    expect(growingFence('```ts\nconst a = 1;\nconst b')).toEqual({ lang: 'ts', code: 'const a = 1;\nconst b\n' });
    expect(growingFence('```ts\nconst a = 1;\n')).toEqual({ lang: 'ts', code: 'const a = 1;\n' });
    expect(growingFence('```ts\n')).toEqual({ lang: 'ts', code: '' });
    expect(growingFence('~~~ python extra\nx = `1`\n\n')).toEqual({ lang: 'python', code: 'x = `1`\n\n' });
    expect(growingFence('```\nplain')).toEqual({ lang: '', code: 'plain\n' });
  });

  it('leaves everything else to the parser', () => {
    expect(growingFence('```ts')).toBeNull(); // the language may still grow
    expect(growingFence('```ts\ncode\n```\n')).toBeNull(); // closed
    expect(growingFence('text\n```ts\ncode')).toBeNull(); // not a code block alone
    expect(growingFence('  ```ts\ncode')).toBeNull(); // indented fence
    expect(growingFence('```a\\b\ncode')).toBeNull(); // escapes in the info string
    expect(growingFence('```ts\r\ncode')).toBeNull();
    expect(growingFence('Some paragraph')).toBeNull();
  });
});

describe('highlighting of the growing code block', () => {
  it('is not re-run over the whole block for every token: total work stays proportional to the block', () => {
    warmLanguage('typescript');
    const lines = Array.from({ length: 300 }, (_, i) => `  const v${i} = compute(${i}, 'x') + ${i * 7}; // step ${i}`);
    const code = `${lines.join('\n')}\n`;
    const before = { ...highlightStats };
    let frames = 0;
    for (let n = 1; n <= code.length; n += 3) {
      const shown = code.slice(0, n);
      const parts = highlightGrowingParts('typescript', shown.endsWith('\n') ? shown : `${shown}\n`);
      expect(parts).not.toBeNull();
      frames++;
    }
    const chars = highlightStats.chars - before.chars;
    const calls = highlightStats.calls - before.calls;
    // Once per token would be ~frames * length / 2 characters (quadratic); the growing
    // block is highlighted by whole lines and only after it has grown by an eighth.
    expect(frames).toBeGreaterThan(3000);
    expect(calls).toBeLessThan(lines.length);
    expect(chars).toBeLessThan(code.length * 12);
  });

  it('highlights complete lines and leaves the partial last line plain', () => {
    warmLanguage('typescript');
    const parts = highlightGrowingParts('typescript', 'const a = 1;\nconst b\n')!;
    expect(parts.rest).toBe('const b\n');
    const text = JSON.stringify(parts.prefix);
    expect(text).toContain('hljs-keyword');
    expect(text).not.toContain('const b');
  });
});

describe('closedFence', () => {
  it('recognises a finished block that is exactly one fenced code block', async () => {
    const { closedFence } = await import('./growingCode');
    expect(closedFence('```ts\nconst a = 1;\n```\n\n')).toEqual({ lang: 'ts', code: 'const a = 1;\n' });
    expect(closedFence('~~~~\nx\n~~~~~  \n')).toEqual({ lang: '', code: 'x\n' });
    expect(closedFence('```\n```\n')).toEqual({ lang: '', code: '' });
    expect(closedFence('```ts\na\n```\ntext after\n\n')).toBeNull();
    expect(closedFence('```ts\na\n```\n```\n')).toBeNull(); // the second fence opens a new block
    expect(closedFence('````ts\na\n```\n')).toBeNull(); // too short to close
    expect(closedFence('```ts\na\n~~~\n')).toBeNull();
    expect(closedFence('- item\n```\n')).toBeNull();
  });
});
