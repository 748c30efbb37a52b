// Splits Markdown into top-level blocks so finished blocks can be memoized and
// only the growing tail is re-parsed. Incremental: each update re-scans only the
// last (unfinished) block, so the cost per token does not grow with the message.
//
// A block boundary is a blank line (outside a fenced code block) followed by a
// line that is not indented (indented lines continue list items / code).

interface Fence {
  ch: string;
  len: number;
}

const FENCE_RE = /^ {0,3}(`{3,}|~{3,})/;

function isBlank(line: string): boolean {
  return line.trim().length === 0;
}

/**
 * Scans `text` from offset `from` (a block start, outside any fence) and returns
 * the start offsets of the blocks that begin after `from`.
 */
export function scanBoundaries(text: string, from: number): number[] {
  const starts: number[] = [];
  let fence: Fence | null = null;
  let prevBlank = false;
  let hasContent = false;
  let pos = from;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const complete = nl !== -1;
    const end = complete ? nl : text.length;
    const line = text.slice(pos, end);
    if (fence) {
      const m = FENCE_RE.exec(line);
      if (complete && m && m[1][0] === fence.ch && m[1].length >= fence.len && line.trim() === m[1]) fence = null;
      prevBlank = false;
    } else if (isBlank(line)) {
      if (complete) prevBlank = true;
    } else {
      const indented = line[0] === ' ' || line[0] === '\t';
      if (prevBlank && hasContent && !indented) starts.push(pos);
      const m = FENCE_RE.exec(line);
      if (m && (m[1][0] === '~' || !line.slice(m[0].length).includes('`')))
        fence = { ch: m[1][0], len: m[1].length };
      hasContent = true;
      prevBlank = false;
    }
    if (!complete) break;
    pos = nl + 1;
  }
  return starts;
}

/** Splits a whole Markdown text into top-level blocks (non-incremental helper). */
export function splitBlocks(text: string): string[] {
  const starts = [0, ...scanBoundaries(text, 0)];
  return starts.map((s, i) => text.slice(s, i + 1 < starts.length ? starts[i + 1] : text.length));
}

/** Incremental splitter for a text that grows by appending. */
export class BlockSplitter {
  private text = '';
  private finished: string[] = [];
  private tailStart = 0;

  /** Updates with the new full text; returns finished blocks (stable array identity per block) and the tail. */
  update(text: string): { finished: readonly string[]; tail: string } {
    if (!text.startsWith(this.text.slice(0, this.tailStart)) || text.length < this.tailStart) {
      this.finished = [];
      this.tailStart = 0;
    }
    this.text = text;
    const starts = scanBoundaries(text, this.tailStart);
    if (starts.length > 0) {
      const all = [this.tailStart, ...starts];
      const added: string[] = [];
      for (let i = 0; i + 1 < all.length; i++) added.push(text.slice(all[i], all[i + 1]));
      this.finished = this.finished.concat(added);
      this.tailStart = all[all.length - 1];
    }
    return { finished: this.finished, tail: text.slice(this.tailStart) };
  }
}
