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
