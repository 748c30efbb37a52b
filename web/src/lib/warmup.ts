// One-off costs that would otherwise land in the first frames of a streamed answer
// (creating the grapheme segmenter, compiling the Markdown parser's code paths, compiling
// the grammars of the most common code languages) are paid in idle periods after the
// page has loaded, one per idle callback.

import { graphemeEnds } from './graphemes';
import { warmLanguage } from './highlight';
import { whenIdle } from './idle';

// Grammars first, then their common aliases (cheap once the grammar is compiled).
const LANGUAGES = ['typescript', 'javascript', 'python', 'bash', 'json', 'ts', 'js', 'py', 'sh', 'shell'];

/** Schedules the warm-up; `parse` renders a sample Markdown text once (not into the page). */
export function warmUpWhenIdle(parse: (sample: string) => void): void {
  whenIdle('warm:graphemes', () => graphemeEnds('a\u{1F44D}\u{1F3FD}b'));
  whenIdle('warm:markdown', () =>
    parse(
      '## Title\n\nSome **bold**, *em*, `code`, ~~gone~~, a [link](https://example.com) and www.example.com.\n\n' +
        '1. one\n2. two\n\n- [x] done\n- item\n\n> quote\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n```ts\nconst a = 1;\n```\n',
    ),
  );
  for (const lang of LANGUAGES) whenIdle(`lang:${lang}`, () => warmLanguage(lang));
}
