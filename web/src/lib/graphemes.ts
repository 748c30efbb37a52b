// Grapheme-cluster segmentation (never split an emoji, a ZWJ sequence or a
// combining sequence). Uses Intl.Segmenter; falls back to code points.

type Segmenter = { segment(text: string): Iterable<{ index: number; segment: string }> };

let cached: Segmenter | null | undefined;

function segmenter(): Segmenter | null {
  if (cached === undefined) {
    const Ctor = (Intl as unknown as { Segmenter?: new (l?: string, o?: object) => Segmenter })
      .Segmenter;
    cached = Ctor ? new Ctor(undefined, { granularity: 'grapheme' }) : null;
  }
  return cached;
}

/** End offsets (UTF-16 code units, relative to `text`) of each grapheme in `text`. */
export function graphemeEnds(text: string): number[] {
  const ends: number[] = [];
  const seg = segmenter();
  if (seg) {
    for (const s of seg.segment(text)) ends.push(s.index + s.segment.length);
    return ends;
  }
  let i = 0;
  for (const ch of text) {
    i += ch.length;
    ends.push(i);
  }
  return ends;
}

/** Splits text into grapheme clusters. */
export function graphemes(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (const end of graphemeEnds(text)) {
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}
