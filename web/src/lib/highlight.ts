// Syntax highlighting as a rehype plugin backed by ONE shared lowlight instance.
// (rehype-highlight builds a new instance and registers every grammar each time
// a processor is created, and react-markdown creates a processor per render: far
// too slow to run on every streamed frame.)
import { common, createLowlight } from 'lowlight';
import { toText } from 'hast-util-to-text';
import { visit } from 'unist-util-visit';
import type { Element, Root } from 'hast';
import { whenIdle } from './idle';

const lowlight = createLowlight(common);

/** Characters passed to the highlighter so far (tests check the work stays proportional). */
export const highlightStats = { chars: 0, calls: 0 };

function run(lang: string, code: string): Element['children'] {
  highlightStats.chars += code.length;
  highlightStats.calls++;
  return lowlight.highlight(lang, code).children as Element['children'];
}

/** Languages whose grammar has been compiled (highlight.js compiles one on its first use). */
const compiled = new Set<string>();

/**
 * Compiles a language's grammar ahead of time (one highlight of a tiny snippet), so the
 * first code block in it does not pay for the compile while it streams.
 */
export function warmLanguage(lang: string): void {
  if (compiled.has(lang) || !lowlight.registered(lang)) return;
  const name = lowlight.highlight(lang, 'x').data?.language;
  compiled.add(lang);
  // Aliases share the grammar ('ts' and 'typescript').
  if (name) compiled.add(name);
}
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
  const children = run(lang, code);
  compiled.add(lang);
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
  const parts = highlightGrowingParts(lang, code);
  if (!parts) return null;
  return parts.rest ? [...parts.prefix, { type: 'text', value: parts.rest }] : parts.prefix;
}

/**
 * highlightGrowing as its two parts: the highlighted prefix (the same array until it is
 * highlighted again, so what is built from it can be reused) and the plain rest.
 */
export function highlightGrowingParts(lang: string, code: string): { prefix: Element['children']; rest: string } | null {
  if (!lowlight.registered(lang)) return null;
  if (!compiled.has(lang)) {
    // Compiling a grammar is a one-off cost of tens of ms: not inside a streaming frame.
    // The block stays plain text until the compile has run in an idle period.
    whenIdle(`lang:${lang}`, () => warmLanguage(lang));
    return null;
  }
  // The code text ends with the line break that closes the (partial) last line.
  let cut = code.lastIndexOf('\n', code.length - 2) + 1;
  const prev = streamingPrefix;
  if (prev && prev.lang === lang && code.startsWith(prev.code) && cut - prev.code.length < prev.code.length / 8) cut = prev.code.length;
  const prefix = code.slice(0, cut);
  if (!prev || prev.lang !== lang || prev.code !== prefix) streamingPrefix = { lang, code: prefix, children: run(lang, prefix) };
  return { prefix: streamingPrefix!.children, rest: code.slice(cut) };
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
