// Helpers for the message tree (branches via parent_id; current_leaf_id picks the path).
import type { Message } from '../api/types';

export interface Tree {
  byId: Map<string, Message>;
  children: Map<string | null, Message[]>;
}

export function buildTree(messages: readonly Message[]): Tree {
  const byId = new Map<string, Message>();
  const children = new Map<string | null, Message[]>();
  for (const m of messages) {
    byId.set(m.id, m);
    const key = m.parent_id ?? null;
    const list = children.get(key);
    if (list) list.push(m);
    else children.set(key, [m]);
  }
  for (const list of children.values())
    list.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
  return { byId, children };
}

/** Messages from the root to `leafId` (inclusive), system messages excluded. */
export function pathTo(tree: Tree, leafId: string | null): Message[] {
  const out: Message[] = [];
  const seen = new Set<string>();
  let cur = leafId ? tree.byId.get(leafId) : undefined;
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    out.push(cur);
    cur = cur.parent_id ? tree.byId.get(cur.parent_id) : undefined;
  }
  return out.reverse().filter((m) => m.role !== 'system');
}

/** Siblings of a message (including itself), oldest first. */
export function siblings(tree: Tree, m: Message): Message[] {
  return tree.children.get(m.parent_id ?? null) ?? [m];
}

/** Deepest leaf under `id`, following the most recent child at each level. */
export function deepestLeaf(tree: Tree, id: string): string {
  let cur = id;
  for (let guard = 0; guard < 10_000; guard++) {
    const kids = tree.children.get(cur);
    if (!kids || kids.length === 0) return cur;
    cur = kids[kids.length - 1].id;
  }
  return cur;
}

/** Fallback leaf when the conversation has no current_leaf_id: the newest message's deepest leaf. */
export function defaultLeaf(tree: Tree): string | null {
  const roots = tree.children.get(null);
  if (!roots || roots.length === 0) return null;
  return deepestLeaf(tree, roots[roots.length - 1].id);
}
