// Picks completed sentences out of streaming text for an aria-live region, so a
// screen reader hears whole sentences instead of every token.

/** Returns [announcement, newOffset]: the complete sentences in text[offset..]. */
export function completedSentences(text: string, offset: number): [string, number] {
  const rest = text.slice(offset);
  const re = /[.!?。！？:](?=\s)|\n\n/g;
  let last = -1;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest)) !== null) last = m.index + m[0].length;
  if (last < 0) return ['', offset];
  const chunk = rest.slice(0, last);
  const plain = chunk
    .replace(/```[\s\S]*?(```|$)/g, ' code block ')
    .replace(/[#*_`>|~-]+/g, ' ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  return [plain, offset + last];
}
