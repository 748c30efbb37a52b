// Incremental Markdown: finished top-level blocks are memoized; only the growing
// tail is re-parsed (after closing its unfinished syntax). Raw HTML in model
// output is never rendered (no rehype-raw; react-markdown escapes it).
import { memo, useMemo, useRef, useState, type ReactElement, type ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { BlockSplitter } from '../lib/blocks';
import { closeTail, openFence } from '../lib/closeTail';
import { rehypeSharedHighlight } from '../lib/highlight';

interface HastNode {
  type: string;
  value?: string;
  tagName?: string;
  properties?: Record<string, unknown>;
  children?: HastNode[];
}

function hastText(node: HastNode | undefined): string {
  if (!node) return '';
  if (node.type === 'text') return node.value ?? '';
  return (node.children ?? []).map(hastText).join('');
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Fallback for non-secure contexts.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'offscreen';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

export { copyText };

function CodeBlock({ node, children }: { node?: HastNode; children?: ReactNode }) {
  const [copied, setCopied] = useState(false);
  const code = node?.children?.find((c) => c.tagName === 'code');
  const cls = (code?.properties?.className as string[] | undefined) ?? [];
  const lang = cls.find((c) => c.startsWith('language-'))?.slice('language-'.length) ?? '';
  return (
    <div className="code-block">
      <div className="code-head">
        <span className="code-lang">{lang || 'text'}</span>
        <button
          type="button"
          className="code-copy"
          aria-label={copied ? 'Copied' : `Copy ${lang || 'code'}`}
          onClick={async () => {
            if (await copyText(hastText(code))) {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            }
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre>{children}</pre>
    </div>
  );
}

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  ),
  pre: ({ node, children }) => <CodeBlock node={node as HastNode}>{children}</CodeBlock>,
  table: ({ children }) => (
    <div className="table-wrap">
      <table>{children}</table>
    </div>
  ),
  img: ({ alt }) => <span className="img-alt">[{alt || 'image'}]</span>,
};

const remarkPlugins = [remarkGfm];
const rehypePlugins = [rehypeSharedHighlight];
// For a streaming tail that ends inside a code fence: that code block is highlighted
// up to its last complete line only (see highlightGrowing).
const rehypePluginsGrowingCode = [[rehypeSharedHighlight, { growingLast: true }] as [typeof rehypeSharedHighlight, { growingLast: boolean }]];

function allowUrl(url: string): string {
  return /^(https?:|mailto:|#|\/)/i.test(url) ? url : '';
}

/**
 * Recently rendered blocks by text. When the streaming tail becomes a finished block
 * it moves out of the tail's layer and mounts again with the same text: this makes
 * that a lookup instead of a second parse.
 */
const recent = new Map<string, ReactElement>();
const RECENT_MAX = 16;

function renderBlock(text: string, growingCode: boolean): ReactElement {
  const key = growingCode ? `\u0000${text}` : text;
  const hit = recent.get(key);
  if (hit) return hit;
  // react-markdown's component is a plain function of its props (no hooks).
  const el = ReactMarkdown({
    remarkPlugins,
    rehypePlugins: growingCode ? rehypePluginsGrowingCode : rehypePlugins,
    components,
    urlTransform: allowUrl,
    skipHtml: true,
    children: text,
  });
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value as string);
  recent.set(key, el);
  return el;
}

/** One rendered Markdown block. Memoized: it re-renders only when its text changes. */
export const MarkdownBlock = memo(function MarkdownBlock({ text, growingCode = false }: { text: string; growingCode?: boolean }) {
  return renderBlock(text, growingCode);
});

/** Blocks per chunk: a frame re-renders one chunk (the tail's), not every block. */
const CHUNK = 32;
const EMPTY: readonly string[] = [];

/**
 * A run of up to CHUNK blocks, the last chunk also holds the tail. Memoized: a frame
 * re-renders only the tail's chunk. The DOM stays flat (chunks are fragments) and
 * every block keeps its key from the moment it appears as the tail, so a block that
 * is finished is never mounted again or re-parsed.
 */
const Chunk = memo(function Chunk({ start, blocks, tail, growingCode }: { start: number; blocks: readonly string[]; tail: string | null; growingCode: boolean }) {
  const out = blocks.map((b, i) => <MarkdownBlock key={start + i} text={b} />);
  if (tail !== null) out.push(<MarkdownBlock key={start + blocks.length} text={tail} growingCode={growingCode} />);
  return out;
});

/** Splits finished blocks into chunks, reusing the previous arrays of full chunks (stable for memo). */
function toChunks(prev: readonly (readonly string[])[], finished: readonly string[]): (readonly string[])[] {
  const out: (readonly string[])[] = [];
  for (let start = 0; start < finished.length; start += CHUNK) {
    const k = start / CHUNK;
    const old = prev[k];
    const full = start + CHUNK <= finished.length;
    if (full && old && old.length === CHUNK && old[0] === finished[start] && old[CHUNK - 1] === finished[start + CHUNK - 1]) out.push(old);
    else out.push(finished.slice(start, start + CHUNK));
  }
  return out;
}

/** Renders a (possibly still growing) Markdown text block by block. */
export function Markdown({ text, streaming }: { text: string; streaming: boolean }) {
  const splitter = useRef<BlockSplitter | null>(null);
  if (splitter.current === null) splitter.current = new BlockSplitter();
  const s = splitter.current;
  const { finished, tail } = useMemo(() => s.update(text), [s, text]);
  const chunkCache = useRef<(readonly string[])[]>([]);
  const chunks = useMemo(() => (chunkCache.current = toChunks(chunkCache.current, finished)), [finished]);
  const tailText = streaming ? closeTail(tail) : tail;
  const growingCode = streaming && openFence(tail) !== null;
  const hasTail = tailText.trim() !== '';
  const tailChunk = Math.floor(finished.length / CHUNK);
  const count = Math.max(chunks.length, hasTail ? tailChunk + 1 : 0);
  const rendered = [];
  for (let k = 0; k < count; k++)
    rendered.push(
      <Chunk key={k} start={k * CHUNK} blocks={chunks[k] ?? EMPTY} tail={hasTail && k === tailChunk ? tailText : null} growingCode={growingCode && k === tailChunk} />,
    );
  return <div className="markdown">{rendered}</div>;
}
