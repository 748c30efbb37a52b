import { describe, expect, it } from 'vitest';
import type { Message } from '../api/types';
import { buildTree, deepestLeaf, pathTo, siblings } from './tree';
import { completedSentences } from './sentences';

let n = 0;
const msg = (id: string, parent: string | null, role: Message['role'] = 'user'): Message => ({
  id,
  conversation_id: 'c',
  parent_id: parent,
  role,
  content: id,
  status: 'complete',
  created_at: `2026-01-01T00:00:${String(n++).padStart(2, '0')}.000Z`,
});

describe('tree', () => {
  const ms = [
    msg('u1', null),
    msg('a1', 'u1', 'assistant'),
    msg('u2', 'a1'),
    msg('a2', 'u2', 'assistant'),
    msg('a2b', 'u2', 'assistant'),
    msg('u2b', 'a1'),
    msg('a3', 'u2b', 'assistant'),
  ];
  const t = buildTree(ms);
  it('follows the path to a leaf', () => {
    expect(pathTo(t, 'a2b').map((m) => m.id)).toEqual(['u1', 'a1', 'u2', 'a2b']);
  });
  it('lists siblings oldest first', () => {
    expect(siblings(t, t.byId.get('a2')!).map((m) => m.id)).toEqual(['a2', 'a2b']);
    expect(siblings(t, t.byId.get('u2b')!).map((m) => m.id)).toEqual(['u2', 'u2b']);
  });
  it('finds the deepest leaf following the newest child', () => {
    expect(deepestLeaf(t, 'u2')).toBe('a2b');
    expect(deepestLeaf(t, 'u1')).toBe('a3');
  });
});

describe('completedSentences', () => {
  it('announces only complete sentences', () => {
    const [a, off] = completedSentences('Hello **world**. How are', 0);
    expect(a).toBe('Hello world .');
    expect(completedSentences('Hello **world**. How are', off)).toEqual(['', off]);
    const [b] = completedSentences('Hello **world**. How are you? Fine', off);
    expect(b).toBe('How are you?');
  });
});
