// Thin typed wrapper over the chatstream HTTP API (same origin, relative URLs).
import type { Conversation, ConversationWithMessages, Message, ModelList } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
  /** True when the server could not be reached at all. */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body !== undefined ? { 'Content-Type': 'application/json' } : undefined,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached.', 'unreachable');
  }
  if (res.status === 204) return undefined as T;
  let data: unknown;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = (data as { error?: { message?: string; code?: string } } | null)?.error;
    throw new ApiError(res.status, err?.message ?? `Request failed (HTTP ${res.status})`, err?.code ?? `http_${res.status}`);
  }
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  models: () => request<ModelList>('GET', '/api/models'),
  listConversations: (q?: string, before?: string) => {
    const p = new URLSearchParams({ limit: '50' });
    if (q) p.set('q', q);
    if (before) p.set('before', before);
    return request<{ conversations: Conversation[]; next_before: string | null }>('GET', `/api/conversations?${p}`);
  },
  createConversation: (body: { title?: string; model?: string }) =>
    request<Conversation>('POST', '/api/conversations', body),
  getConversation: (id: string) => request<ConversationWithMessages>('GET', `/api/conversations/${enc(id)}`),
  patchConversation: (
    id: string,
    body: { title?: string; model?: string; current_leaf_id?: string },
  ) => request<Conversation>('PATCH', `/api/conversations/${enc(id)}`, body),
  deleteConversation: (id: string) => request<void>('DELETE', `/api/conversations/${enc(id)}`),
  sendMessage: (cid: string, body: { content: string; parent_id?: string | null; model?: string }) =>
    request<{ user_message: Message; assistant_message: Message }>('POST', `/api/conversations/${enc(cid)}/messages`, body),
  regenerate: (mid: string, body: { model?: string }) =>
    request<{ assistant_message: Message }>('POST', `/api/messages/${enc(mid)}/regenerate`, body),
  cancel: (mid: string, shown?: number) =>
    request<Message>('POST', `/api/messages/${enc(mid)}/cancel`, shown !== undefined ? { shown } : {}),
  eventsUrl: (mid: string) => `/api/messages/${enc(mid)}/events`,
};
