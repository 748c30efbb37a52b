// Syntax highlighting as a rehype plugin backed by ONE shared lowlight instance.
// (rehype-highlight builds a new instance and registers every grammar each time
// a processor is created, and react-markdown creates a processor per render: far
// too slow to run on every streamed frame.)
import { common, createLowlight } from 'lowlight';
import { toText } from 'hast-util-to-text';
import { visit } from 'unist-util-visit';
import type { Element, Root } from 'hast';

const lowlight = createLowlight(common);
const cache = new Map<string, Element['children']>();
const CACHE_MAX = 200;

function languageOf(node: Element): string | null {
  const cls = node.properties?.className;
  const list = Array.isArray(cls) ? cls.map(String) : [];
  const lang = list.find((c) => c.startsWith('language-'))?.slice('language-'.length);
  return lang ?? null;
}

/** Highlights `code` in `lang`; results are cached (finished code blocks are highlighted once). */
export function highlightChildren(lang: string, code: string): Element['children'] | null {
  if (!lowlight.registered(lang)) return null;
  const key = `${lang}\u0000${code}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const children = lowlight.highlight(lang, code).children as Element['children'];
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(key, children);
  return children;
}

/** Highlighted prefix of the code block that is still streaming (one at a time). */
let streamingPrefix: { lang: string; code: string; children: Element['children'] } | null = null;

/**
 * Highlights a code block that is still being written: only up to its last complete
 * line (the partial line is plain text), and a long block only when it has grown by
 * an eighth since the last time, so the work per frame stays small and the total work
 * stays proportional to the block's size.
 */
export function highlightGrowing(lang: string, code: string): Element['children'] | null {
  if (!lowlight.registered(lang)) return null;
  // The code text ends with the line break that closes the (partial) last line.
  let cut = code.lastIndexOf('\n', code.length - 2) + 1;
  const prev = streamingPrefix;
  if (prev && prev.lang === lang && code.startsWith(prev.code) && cut - prev.code.length < prev.code.length / 8) cut = prev.code.length;
  const prefix = code.slice(0, cut);
  if (!prev || prev.lang !== lang || prev.code !== prefix) {
    streamingPrefix = { lang, code: prefix, children: lowlight.highlight(lang, prefix).children as Element['children'] };
  }
  const rest = code.slice(cut);
  const children = streamingPrefix!.children;
  return rest ? [...children, { type: 'text', value: rest }] : children;
}

export interface HighlightOptions {
  /** The last code block is still streaming (see highlightGrowing). */
  growingLast?: boolean;
}

export function rehypeSharedHighlight(options: HighlightOptions = {}) {
  return (tree: Root) => {
    const blocks: { node: Element; lang: string }[] = [];
    visit(tree, 'element', (node: Element, _i, parent) => {
      if (node.tagName !== 'code' || !parent || (parent as Element).tagName !== 'pre') return;
      const lang = languageOf(node);
      if (lang) blocks.push({ node, lang: lang.toLowerCase() });
    });
    blocks.forEach(({ node, lang }, i) => {
      const code = toText(node, { whitespace: 'pre' });
      const growing = options.growingLast === true && i === blocks.length - 1;
      const children = growing ? highlightGrowing(lang, code) : highlightChildren(lang, code);
      if (!children) return;
      const cls = Array.isArray(node.properties.className) ? node.properties.className : [];
      node.properties.className = [...cls, 'hljs'];
      node.children = children;
    });
  };
}
