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

/** Finished blocks: re-rendered only when a block is added (the array identity changes). */
const FinishedBlocks = memo(function FinishedBlocks({ blocks }: { blocks: readonly string[] }) {
  return blocks.map((b, i) => <MarkdownBlock key={i} text={b} />);
});

/** Renders a (possibly still growing) Markdown text block by block. */
export function Markdown({ text, streaming }: { text: string; streaming: boolean }) {
  const splitter = useRef<BlockSplitter | null>(null);
  if (splitter.current === null) splitter.current = new BlockSplitter();
  const s = splitter.current;
  const { finished, tail } = useMemo(() => s.update(text), [s, text]);
  const tailText = streaming ? closeTail(tail) : tail;
  const growingCode = streaming && openFence(tail) !== null;
  const hasTail = tailText.trim() !== '';
  return (
    <div className="markdown">
      <FinishedBlocks blocks={finished} />
      {hasTail &&
        (streaming ? (
          // The growing tail paints into its own layer, so finished blocks are not repainted each frame.
          <div className="md-tail">
            <MarkdownBlock text={tailText} growingCode={growingCode} />
          </div>
        ) : (
          <MarkdownBlock key="tail" text={tailText} />
        ))}
    </div>
  );
}
