export type MessageStatus = 'complete' | 'streaming' | 'cancelled' | 'error' | 'interrupted';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface Message {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: 'user' | 'assistant' | 'system';
  content: string;
  status: MessageStatus;
  model?: string | null;
  provider?: string | null;
  finish_reason?: string | null;
  usage?: Usage | null;
  ttft_ms?: number | null;
  duration_ms?: number | null;
  error?: { message: string; code?: string } | null;
  created_at: string;
  updated_at?: string;
}

export interface Conversation {
  id: string;
  title: string;
  model: string;
  system_prompt?: string;
  current_leaf_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConversationWithMessages extends Conversation {
  messages: Message[];
}

export interface Model {
  id: string;
  name: string;
  provider: string;
  simulated: boolean;
}

export interface ModelList {
  models: Model[];
  default: string;
}

// ---------- accounts (multi-user mode), docs/api.md "Accounts" ----------

export type Role = 'admin' | 'user';

export interface Limits {
  max_concurrent: number | null;
  requests_per_minute: number | null;
  tokens_per_day: number | null;
}

/** Effective limits: numbers, 0 = unlimited. */
export interface EffectiveLimits {
  max_concurrent: number;
  requests_per_minute: number;
  tokens_per_day: number;
}

export interface User {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  created_at?: string;
  limits?: Limits;
  effective_limits?: EffectiveLimits;
}

export interface AdminUser extends User {
  usage_today?: { tokens: number; requests: number };
}

export interface AuthState {
  mode: 'single-user' | 'multi-user';
  user: User | null;
  setup_required: boolean;
}

export interface UsageToday {
  today: { day: string; tokens: number; requests: number };
  limits: EffectiveLimits;
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}

/** The answer to creating a token: the only time the secret is seen. */
export interface CreatedToken extends ApiToken {
  token: string;
}

export interface UsageDay {
  day: string;
  user_id: string;
  username: string;
  tokens: number;
  requests: number;
}
