// The streaming tail is often a fenced code block that is still being written. Its
// structure is known without a Markdown parser (everything after the opening fence
// line is literal code), so it is rendered directly: no parse per frame, and its
// highlighting is incremental (see highlightGrowing).

import { openFence } from './closeTail';

export interface GrowingCode {
  /** First word of the info string ('' when there is none). */
  lang: string;
  /** The code as the Markdown renderer would give it: content lines, each ending with '\n'. */
  code: string;
}

const OPEN_RE = /^(`{3,}|~{3,})([^\n]*)$/;

/**
 * When `tail` (one top-level block) is a fenced code block whose closing fence has not
 * arrived yet, returns its language and code; otherwise null (the caller parses it).
 * Only the plain case is handled: fence at column 0, complete opening line, an info
 * string without escapes or entities.
 */
export function growingFence(tail: string): GrowingCode | null {
  const nl = tail.indexOf('\n');
  if (nl < 0 || tail.includes('\r')) return null; // the opening line (and so the language) may still grow
  const m = OPEN_RE.exec(tail.slice(0, nl));
  if (!m) return null;
  const info = m[2].trim();
  if (/[\\&]/.test(info)) return null;
  if (openFence(tail) === null) return null;
  const body = tail.slice(nl + 1);
  // The renderer drops the line break before the (implicit) closing fence and ends
  // non-empty code with one line break: 'a\nb' and 'a\nb\n' both give 'a\nb\n'.
  const content = body.endsWith('\n') ? body.slice(0, -1) : body;
  const code = content === '' ? '' : `${content}\n`;
  return { lang: info.split(/\s+/)[0] ?? '', code };
}
