import { describe, expect, it } from 'vitest';
import { BlockSplitter, splitBlocks } from './blocks';
import { closeTail, openFence } from './closeTail';

const doc = `# Title

Some **bold** text.
Second line.

- one
- two

  continued item paragraph

\`\`\`js
const a = 1;

const b = 2;
\`\`\`

| a | b |
|---|---|
| 1 | 2 |

End.`;

describe('splitBlocks', () => {
  it('splits at blank lines, keeping fences and indented continuations together', () => {
    const blocks = splitBlocks(doc);
    expect(blocks.map((b) => b.trim().split('\n')[0])).toEqual(['# Title', 'Some **bold** text.', '- one', '```js', '| a | b |', 'End.']);
    expect(blocks.join('')).toBe(doc);
  });

  it('incremental splitter agrees with the whole-text split at every prefix', () => {
    const s = new BlockSplitter();
    for (let i = 1; i <= doc.length; i++) {
      const { finished, tail } = s.update(doc.slice(0, i));
      expect(finished.join('') + tail).toBe(doc.slice(0, i));
      const whole = splitBlocks(doc.slice(0, i));
      expect(finished.length).toBe(whole.length - 1);
    }
  });

  it('keeps finished blocks identical (same strings) as the text grows', () => {
    const s = new BlockSplitter();
    const first = s.update(doc.slice(0, 40)).finished;
    const later = s.update(doc).finished;
    for (let i = 0; i < first.length; i++) expect(later[i]).toBe(first[i]);
  });

  it('resets when the text is replaced', () => {
    const s = new BlockSplitter();
    s.update('a\n\nb\n\nc');
    const r = s.update('x\n\ny');
    expect(r.finished).toEqual(['x\n\n']);
    expect(r.tail).toBe('y');
  });
});

describe('closeTail', () => {
  it.each([
    ['Some **bol', 'Some **bol**'],
    ['Some *ital', 'Some *ital*'],
    ['Some __str', 'Some __str__'],
    ['Use `npm i', 'Use `npm i`'],
    ['Text **', 'Text '],
    ['Text *', 'Text '],
    ['a ~~del', 'a ~~del~~'],
    ['See [the docs](https://exa', 'See the docs'],
    ['**bold *both', '**bold *both***'],
    ['Heading\n-', 'Heading\n'],
    ['2 * 3 = 6', '2 * 3 = 6'],
    ['- item one\n- item **two', '- item one\n- item **two**'],
    ['Done **here**.', 'Done **here**.'],
    ['Intro:\n| Metric | Val', 'Intro:'],
    ['| Metric | Value |\n|---:|:-', ''],
    ['| a | b |\n|---|---|', ''],
    ['| a | b |\n|---|---|\n| 1', '| a | b |\n|---|---|\n| 1'],
    ['| a | b |\n|---|---|\n', '| a | b |\n|---|---|\n'],
  ])('%j -> %j', (input, out) => {
    expect(closeTail(input)).toBe(out);
  });

  it('closes an open code fence', () => {
    expect(closeTail('```python\nprint("hi")')).toBe('```python\nprint("hi")\n```');
    expect(closeTail('```python\nprint("hi")\n')).toBe('```python\nprint("hi")\n```');
    expect(closeTail('~~~~\nx')).toBe('~~~~\nx\n~~~~');
  });

  it('does not touch emphasis inside an open fence', () => {
    expect(closeTail('```\nconst a = **b')).toBe('```\nconst a = **b\n```');
  });

  it('knows when a fence is closed', () => {
    expect(openFence('```js\nx\n```\n')).toBeNull();
    expect(openFence('```js\nx\n``')).toBe('```');
  });
});
