// Incremental Markdown: finished top-level blocks are memoized; only the growing
// tail is re-parsed (after closing its unfinished syntax). Raw HTML in model
// output is never rendered (no rehype-raw; react-markdown escapes it).
import { memo, useMemo, useRef, useState, type ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { BlockSplitter } from '../lib/blocks';
import { closeTail } from '../lib/closeTail';
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

function allowUrl(url: string): string {
  return /^(https?:|mailto:|#|\/)/i.test(url) ? url : '';
}

/** One rendered Markdown block. Memoized: it re-renders only when its text changes. */
export const MarkdownBlock = memo(function MarkdownBlock({ text }: { text: string }) {
  return (
    <ReactMarkdown
      remarkPlugins={remarkPlugins}
      rehypePlugins={rehypePlugins}
      components={components}
      urlTransform={allowUrl}
      skipHtml
    >
      {text}
    </ReactMarkdown>
  );
});

/** Renders a (possibly still growing) Markdown text block by block. */
export function Markdown({ text, streaming }: { text: string; streaming: boolean }) {
  const splitter = useRef<BlockSplitter | null>(null);
  if (splitter.current === null) splitter.current = new BlockSplitter();
  const s = splitter.current;
  const { finished, tail } = useMemo(() => s.update(text), [s, text]);
  const tailText = streaming ? closeTail(tail) : tail;
  // One flat keyed list, so the tail keeps its element when it becomes a finished block.
  const blocks = tailText.trim() !== '' ? [...finished, tailText] : finished;
  return (
    <div className="markdown">
      {blocks.map((b, i) => (
        <MarkdownBlock key={i} text={b} />
      ))}
    </div>
  );
}
