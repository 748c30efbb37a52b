// Incremental Markdown: finished top-level blocks are memoized; only the growing
// tail is re-parsed (after closing its unfinished syntax). Raw HTML in model
// output is never rendered (no rehype-raw; react-markdown escapes it).
import { createElement, memo, useMemo, useRef, useState, type ReactElement, type ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { BlockSplitter, splitBlocks } from '../lib/blocks';
import { warmUpWhenIdle } from '../lib/warmup';
import { closeTail, openFence } from '../lib/closeTail';
import { highlightChildren, highlightGrowingParts, rehypeSharedHighlight } from '../lib/highlight';
import { closedFence, growingFence, type GrowingCode } from '../lib/growingCode';

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

function CodeBlock({ lang, text, children }: { lang: string; text: () => string; children?: ReactNode }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="code-block">
      <div className="code-head">
        <span className="code-lang">{lang || 'text'}</span>
        <button
          type="button"
          className="code-copy"
          aria-label={copied ? 'Copied' : `Copy ${lang || 'code'}`}
          onClick={async () => {
            if (await copyText(text())) {
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

function MarkdownPre({ node, children }: { node?: HastNode; children?: ReactNode }) {
  const code = node?.children?.find((c) => c.tagName === 'code');
  const cls = (code?.properties?.className as string[] | undefined) ?? [];
  const lang = cls.find((c) => c.startsWith('language-'))?.slice('language-'.length) ?? '';
  return (
    <CodeBlock lang={lang} text={() => hastText(code)}>
      {children}
    </CodeBlock>
  );
}

/** Highlighter output (spans with classes and text) as React nodes; cached per result. */
const hastNodes = new WeakMap<readonly HastNode[], ReactNode[]>();
function toReact(nodes: readonly HastNode[]): ReactNode[] {
  const hit = hastNodes.get(nodes);
  if (hit) return hit;
  const out = nodes.map((n, i): ReactNode => {
    if (n.type === 'text') return n.value ?? '';
    if (n.type !== 'element') return null;
    const cls = n.properties?.className;
    return createElement(n.tagName ?? 'span', { key: i, className: Array.isArray(cls) ? cls.join(' ') : undefined }, ...toReact(n.children ?? []));
  });
  hastNodes.set(nodes, out);
  return out;
}

/**
 * The streaming tail when it is a code block whose closing fence has not arrived: no
 * Markdown parse, the complete lines highlighted incrementally, the last line plain.
 * Same DOM as the parsed block (so nothing jumps when the fence closes).
 */
function GrowingCodeBlock({ lang, code, done = false }: { lang: string; code: string; done?: boolean }) {
  const key = lang.toLowerCase();
  let hl: { prefix: readonly unknown[]; rest: string } | null = null;
  if (key && done) {
    const all = highlightChildren(key, code);
    hl = all ? { prefix: all, rest: '' } : null;
  } else if (key) hl = highlightGrowingParts(key, code);
  // The highlighted prefix is one array per highlight run: its React nodes are reused.
  const body: ReactNode = hl ? [...toReact(hl.prefix as HastNode[]), hl.rest] : code;
  return (
    <CodeBlock lang={lang} text={() => code}>
      <code className={lang ? (hl ? `language-${lang} hljs` : `language-${lang}`) : undefined}>{body}</code>
    </CodeBlock>
  );
}

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  ),
  pre: ({ node, children }) => <MarkdownPre node={node as HastNode}>{children}</MarkdownPre>,
  table: ({ children }) => (
    <div className="table-wrap">
      <table>{children}</table>
    </div>
  ),
  img: ({ alt }) => <span className="img-alt">[{alt || 'image'}]</span>,
};

/**
 * remark-gfm, set up once. react-markdown builds a processor per render, and remark-gfm
 * rebuilds its parser extensions on every attach (a good part of a tail render): the
 * first attach is captured and later processors get the same extension objects. Only
 * parsing extensions are needed (the text is never serialised back to Markdown).
 */
type ProcessorData = { micromarkExtensions?: unknown[]; fromMarkdownExtensions?: unknown[] };
let gfmExtensions: { micromark: unknown[]; fromMarkdown: unknown[] } | null = null;
function remarkGfmOnce(this: { data(): ProcessorData }) {
  const data = this.data();
  const micromark = (data.micromarkExtensions ??= []);
  const fromMarkdown = (data.fromMarkdownExtensions ??= []);
  if (gfmExtensions === null) {
    const [m, f] = [micromark.length, fromMarkdown.length];
    (remarkGfm as unknown as (this: unknown) => void).call(this);
    gfmExtensions = { micromark: micromark.slice(m), fromMarkdown: fromMarkdown.slice(f) };
    return;
  }
  micromark.push(...gfmExtensions.micromark);
  fromMarkdown.push(...gfmExtensions.fromMarkdown);
}

const remarkPlugins = [remarkGfmOnce as unknown as typeof remarkGfm];
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

// Pay the parser's and highlighter's one-off costs while the page is idle, not in the
// first frames of an answer (not in unit tests: they count parses).
if (import.meta.env.MODE !== 'test') warmUpWhenIdle((sample) => splitBlocks(sample).forEach((b) => renderBlock(closeTail(b), false)));

/** One rendered Markdown block. Memoized: it re-renders only when its text changes. */
export const MarkdownBlock = memo(function MarkdownBlock({ text, growingCode = false, code = null }: { text: string; growingCode?: boolean; code?: GrowingCode | null }) {
  if (code) return <GrowingCodeBlock lang={code.lang} code={code.code} />;
  // A finished plain code block keeps the component (and DOM) it had while growing.
  const closed = growingCode ? null : closedFence(text);
  if (closed) return <GrowingCodeBlock lang={closed.lang} code={closed.code} done />;
  return renderBlock(text, growingCode);
});

/**
 * Blocks per chunk: a frame re-renders one chunk (the tail's), not every block, and the
 * browser skips whole chunks while they are off screen. Small enough that a chunk on
 * screen is laid out and painted whole (one or two screens of text).
 */
export const CHUNK = 8;
const EMPTY: readonly string[] = [];

interface Tail {
  /** The tail's text with its unfinished syntax closed. */
  text: string;
  /** It ends inside a code fence (the last code block is highlighted as growing). */
  growingCode: boolean;
  /** It is a code block still being written: rendered without a parse. */
  code: GrowingCode | null;
}

/**
 * A run of up to CHUNK blocks, the last chunk also holds the tail. Memoized: a frame
 * re-renders only the tail's chunk. Every block keeps its key (and its chunk) from the
 * moment it appears as the tail, so a block that is finished is never mounted again or
 * re-parsed.
 *
 * Each chunk is an element of its own (`md-chunk`, `content-visibility: auto`: skipped by
 * layout and paint while off screen), so the browser's work per frame depends on the
 * number of chunks and on the blocks of the tail's chunk, not on every block of the
 * message. With one `content-visibility` element per block, layout, pre-paint and the
 * visibility checks of `content-visibility` walked all of them on every frame, and a
 * frame near the end of a long answer cost clearly more than one near its start.
 */
const Chunk = memo(function Chunk({ start, blocks, tail }: { start: number; blocks: readonly string[]; tail: Tail | null }) {
  const out = blocks.map((b, i) => <MarkdownBlock key={start + i} text={b} />);
  if (tail !== null) out.push(<MarkdownBlock key={start + blocks.length} text={tail.text} growingCode={tail.growingCode} code={tail.code} />);
  return <div className="md-chunk">{out}</div>;
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
  const code = streaming ? growingFence(tail) : null;
  // A code block (growing, or closed but not yet followed by a blank line) is not closed up.
  const tailText = code || !streaming || closedFence(tail) ? tail : closeTail(tail);
  const growingCode = code !== null || (streaming && openFence(tail) !== null);
  const hasTail = tailText.trim() !== '';
  const tailChunk = Math.floor(finished.length / CHUNK);
  const count = Math.max(chunks.length, hasTail ? tailChunk + 1 : 0);
  const rendered = [];
  for (let k = 0; k < count; k++)
    rendered.push(<Chunk key={k} start={k * CHUNK} blocks={chunks[k] ?? EMPTY} tail={hasTail && k === tailChunk ? { text: tailText, growingCode, code } : null} />);
  return <div className="markdown">{rendered}</div>;
}
