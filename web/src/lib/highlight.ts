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

export function rehypeSharedHighlight() {
  return (tree: Root) => {
    visit(tree, 'element', (node: Element, _i, parent) => {
      if (node.tagName !== 'code' || !parent || (parent as Element).tagName !== 'pre') return;
      const lang = languageOf(node);
      if (!lang) return;
      const children = highlightChildren(lang.toLowerCase(), toText(node, { whitespace: 'pre' }));
      if (!children) return;
      const cls = Array.isArray(node.properties.className) ? node.properties.className : [];
      node.properties.className = [...cls, 'hljs'];
      node.children = children;
    });
  };
}
