// Closes unfinished Markdown syntax at the end of a streaming block so that a
// half-written `**`, inline code or code fence renders stably instead of
// flickering between literal characters and formatting.

const FENCE_RE = /^ {0,3}(`{3,}|~{3,})/;

/** Returns the open fence marker (e.g. "```") if `text` ends inside a fenced code block. */
export function openFence(text: string): string | null {
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const m = FENCE_RE.exec(line);
    if (!m) continue;
    if (fence === null) {
      if (m[1][0] === '~' || !line.slice(m[0].length).includes('`')) fence = m[1];
    } else if (m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) {
      fence = null;
    }
  }
  return fence;
}

const DELIMITER_ROW = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

function holdBackTableStart(para: string): string {
  const lines = para.split('\n');
  // The last element is the line still being written ('' right after a newline).
  let end = lines.length;
  if (lines[end - 1] === '') end--;
  let start = end;
  while (start > 0 && lines[start - 1].trimStart().startsWith('|')) start--;
  if (start === end) return para;
  const delimiterComplete = start + 1 < lines.length - 1 && DELIMITER_ROW.test(lines[start + 1]);
  if (delimiterComplete) return para;
  return lines.slice(0, start).join('\n');
}

/** Closes inline syntax on the last paragraph of `text` (not inside a fence). */
function closeInline(text: string): string {
  const paraStart = Math.max(text.lastIndexOf('\n\n') + 1, 0);
  let head = text.slice(0, paraStart);
  let para = text.slice(paraStart);

  // A table whose delimiter row has not fully arrived would render as a paragraph of pipes and
  // then jump into a table: hold its rows back until the delimiter row is complete.
  para = holdBackTableStart(para);
  // A trailing lone "-"/"=" line right after text would turn the paragraph into a setext heading.
  para = para.replace(/\n[ \t]*[-=]+[ \t]*$/, '\n');
  // Dangling emphasis/code markers with nothing after them yet.
  para = para.replace(/(^|[^\\*_~`])[*_~`]+$/, '$1');
  // Partial link or image: "[text](http://par" or "[text" -> "text".
  para = para.replace(/!?\[([^\]\n]*)\]\([^)\n]*$/, '$1');
  para = para.replace(/!?\[([^\]\n]*)\]$/, '[$1]');

  const closers: string[] = [];
  // Inline code: an odd number of single backtick runs leaves one open.
  const ticks = para.match(/(?<!\\)`+/g) ?? [];
  const singles = ticks.filter((t) => t.length === 1).length;
  if (singles % 2 === 1) {
    closers.push('`');
  } else {
    // Remove inline code spans before counting emphasis markers.
    const plain = para.replace(/`[^`]*`/g, '').replace(/^\s*[*+-]\s+/gm, '');
    for (const mark of ['**', '__', '~~']) {
      const n = plain.split(mark).length - 1;
      if (n % 2 === 1) {
        const at = plain.lastIndexOf(mark);
        if (/\S/.test(plain.charAt(at + 2))) closers.push(mark);
      }
    }
    const singleStars = plain.replace(/\*\*/g, '').match(/(?<![\\\w])\*(?=\S)|(?<=\S)\*(?!\w)/g) ?? [];
    if (singleStars.length % 2 === 1 && /(?:^|[\s(])\*\S[^*]*$/.test(plain.replace(/\*\*/g, ''))) closers.push('*');
  }
  head += para;
  return head + closers.reverse().join('');
}

/** Makes the streaming tail of a Markdown text render stably. */
export function closeTail(text: string): string {
  const fence = openFence(text);
  if (fence !== null) return text.endsWith('\n') ? `${text}${fence}` : `${text}\n${fence}`;
  return closeInline(text);
}
