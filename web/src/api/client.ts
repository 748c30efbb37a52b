// Thin typed wrapper over the chatstream HTTP API (same origin, relative URLs).
import type {
  AdminUser,
  ApiToken,
  AuthState,
  Conversation,
  ConversationWithMessages,
  CreatedToken,
  Limits,
  Message,
  ModelList,
  Role,
  UsageDay,
  UsageToday,
  User,
} from './types';
import { parseRetryAfter } from '../auth/limits';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    /** Seconds to wait, from the Retry-After header (429, 503), or null. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
  /** True when the server could not be reached at all. */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

let onUnauthenticated: ((e: ApiError) => void) | null = null;

/**
 * Called whenever an API answer says the session is gone (401 `unauthenticated`:
 * expired, logged out elsewhere, user disabled). Returns the unregister function.
 */
export function setUnauthenticatedHandler(fn: ((e: ApiError) => void) | null): () => void {
  onUnauthenticated = fn;
  return () => {
    if (onUnauthenticated === fn) onUnauthenticated = null;
  };
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
    const e = new ApiError(
      res.status,
      err?.message ?? `Request failed (HTTP ${res.status})`,
      err?.code ?? `http_${res.status}`,
      parseRetryAfter(res.headers.get('Retry-After')),
    );
    if (res.status === 401 && e.code !== 'invalid_credentials') onUnauthenticated?.(e);
    throw e;
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

export const authApi = {
  state: () => request<AuthState>('GET', '/api/auth/state'),
  setup: (body: { token: string; username: string; password: string }) => request<User>('POST', '/api/auth/setup', body),
  login: (body: { username: string; password: string }) => request<{ user: User }>('POST', '/api/auth/login', body),
  logout: () => request<void>('POST', '/api/auth/logout'),
  logoutOthers: () => request<{ ended: number }>('POST', '/api/auth/logout-others'),
  changePassword: (body: { current_password: string; new_password: string }) =>
    request<void>('POST', '/api/auth/password', body),
  usage: () => request<UsageToday>('GET', '/api/auth/usage'),
  tokens: () => request<{ tokens: ApiToken[] }>('GET', '/api/auth/tokens'),
  createToken: (name: string) => request<CreatedToken>('POST', '/api/auth/tokens', { name }),
  revokeToken: (id: string) => request<void>('DELETE', `/api/auth/tokens/${enc(id)}`),
};

export const adminApi = {
  users: () => request<{ users: AdminUser[] }>('GET', '/api/admin/users'),
  createUser: (body: { username: string; password: string; role: Role }) => request<User>('POST', '/api/admin/users', body),
  updateUser: (id: string, body: { role?: Role; disabled?: boolean; password?: string; limits?: Partial<Limits> }) =>
    request<User>('PATCH', `/api/admin/users/${enc(id)}`, body),
  usage: (days = 7) => request<{ days: UsageDay[] }>('GET', `/api/admin/usage?days=${days}`),
};
