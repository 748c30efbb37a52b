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

/**
 * When `block` (one finished top-level block) is exactly one fenced code block (opening
 * fence at column 0, closed by a fence line at column 0, nothing after it but blank
 * lines), returns its language and code; otherwise null. Lets a code block that finishes
 * keep the element it had while it grew (no parse, no new DOM).
 */
export function closedFence(block: string): GrowingCode | null {
  const body = block.replace(/\n+$/, '');
  const nl = body.lastIndexOf('\n');
  if (nl < 0) return null;
  const close = body.slice(nl + 1).replace(/[ \t]+$/, '');
  const open = /^(`{3,}|~{3,})/.exec(body);
  if (!open || !/^(`{3,}|~{3,})$/.test(close) || close[0] !== open[1][0] || close.length < open[1].length) return null;
  // Everything before the closing line must still be inside the fence.
  return growingFence(body.slice(0, nl + 1));
}
