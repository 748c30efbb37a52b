import { memo, useEffect, useRef, useState } from 'react';
import type { Message } from '../api/types';
import { useLiveStream } from '../hooks';
import type { LiveStream } from '../lib/stream';
import { completedSentences } from '../lib/sentences';
import { Icon } from './Icon';
import { Markdown, copyText } from './Markdown';

export interface MessageActions {
  onRegenerate(m: Message): void;
  onEdit(m: Message, content: string): void;
  onSwitch(m: Message, to: Message): void;
  onRetry(m: Message): void;
}

interface Props {
  message: Message;
  siblings: Message[];
  stream?: LiveStream;
  busy: boolean;
  actions: MessageActions;
  announce(text: string): void;
}

function metaTitle(m: Message): string {
  const parts: string[] = [];
  if (m.model) parts.push(`Model: ${m.model}`);
  if (m.ttft_ms != null) parts.push(`Time to first token: ${m.ttft_ms} ms`);
  const tokens = m.usage?.completion_tokens;
  if (tokens && m.duration_ms) {
    const genMs = Math.max(1, m.duration_ms - (m.ttft_ms ?? 0));
    parts.push(`${((tokens * 1000) / genMs).toFixed(1)} tokens/s (${tokens} tokens)`);
  }
  return parts.join('\n');
}

function SiblingNav({ m, siblings, onSwitch, disabled }: { m: Message; siblings: Message[]; onSwitch: Props['actions']['onSwitch']; disabled: boolean }) {
  if (siblings.length < 2) return null;
  const i = siblings.findIndex((s) => s.id === m.id);
  return (
    <div className="sibling-nav" role="group" aria-label="Versions">
      <button type="button" className="icon-btn" aria-label="Previous version" disabled={disabled || i <= 0} onClick={() => onSwitch(m, siblings[i - 1])}>
        <Icon name="chevronLeft" />
      </button>
      <span className="sibling-count">
        {i + 1}/{siblings.length}
      </span>
      <button
        type="button"
        className="icon-btn"
        aria-label="Next version"
        disabled={disabled || i >= siblings.length - 1}
        onClick={() => onSwitch(m, siblings[i + 1])}
      >
        <Icon name="chevronRight" />
      </button>
    </div>
  );
}

function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="icon-btn"
      aria-label={copied ? 'Copied' : 'Copy message'}
      title="Copy"
      onClick={async () => {
        if (await copyText(text)) {
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        }
      }}
    >
      <Icon name={copied ? 'check' : 'copy'} />
    </button>
  );
}

function UserMessage({ message: m, siblings, busy, actions }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.content);
  const ta = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (editing) ta.current?.focus();
  }, [editing]);
  return (
    <article className="msg user" aria-label="You" data-id={m.id} data-role="user">
      {editing ? (
        <form
          className="edit-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (draft.trim()) {
              setEditing(false);
              actions.onEdit(m, draft.trim());
            }
          }}
        >
          <label className="visually-hidden" htmlFor={`edit-${m.id}`}>
            Edit message
          </label>
          <textarea id={`edit-${m.id}`} ref={ta} value={draft} rows={3} onChange={(e) => setDraft(e.target.value)} />
          <div className="edit-actions">
            <button type="button" className="btn" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" className="btn primary" disabled={!draft.trim() || busy}>
              Save &amp; send
            </button>
          </div>
        </form>
      ) : (
        <div className="bubble">{m.content}</div>
      )}
      <div className="msg-actions">
        <SiblingNav m={m} siblings={siblings} onSwitch={actions.onSwitch} disabled={busy} />
        {!editing && (
          <>
            <CopyButton text={m.content} />
            <button
              type="button"
              className="icon-btn"
              aria-label="Edit message"
              title="Edit"
              disabled={busy}
              onClick={() => {
                setDraft(m.content);
                setEditing(true);
              }}
            >
              <Icon name="edit" />
            </button>
          </>
        )}
      </div>
    </article>
  );
}

function StatusLine({ m, onRetry, busy }: { m: Message; onRetry(): void; busy: boolean }) {
  if (m.status === 'error')
    return (
      <div className="msg-status error" role="alert">
        <span>
          <strong>Error:</strong> {m.error?.message ?? 'The model returned an error.'}
        </span>
        <button type="button" className="btn" onClick={onRetry} disabled={busy}>
          Retry
        </button>
      </div>
    );
  if (m.status === 'cancelled') return <div className="msg-status muted">Stopped</div>;
  if (m.status === 'interrupted')
    return (
      <div className="msg-status muted">
        <span>Interrupted (the server stopped while answering)</span>
        <button type="button" className="btn" onClick={onRetry} disabled={busy}>
          Retry
        </button>
      </div>
    );
  return null;
}

const ANNOUNCE_EVERY_MS = 400;

/**
 * Announces completed sentences of a live stream. Listens to the stream directly
 * (no React effect per frame) and looks at new text at most every 400 ms.
 */
function useSentenceAnnouncer(stream: LiveStream | undefined, announce: (t: string) => void): void {
  useEffect(() => {
    if (!stream) return;
    let offset = 0;
    let last = -Infinity;
    const check = () => {
      const snap = stream.getSnapshot();
      const now = performance.now();
      if (!snap.revealed && now - last < ANNOUNCE_EVERY_MS) return;
      last = now;
      const [sentence, off] = completedSentences(snap.text, offset);
      if (sentence) {
        offset = off;
        announce(sentence);
      }
    };
    check();
    return stream.subscribe(check);
  }, [stream, announce]);
}

function AssistantMessage({ message: m, siblings, stream, busy, actions, announce }: Props) {
  const snap = useLiveStream(stream);
  const live = snap !== null && !snap.revealed;
  const text = snap ? snap.text : m.content;
  useSentenceAnnouncer(stream, announce);

  const state = snap?.state;
  const waiting = live && text.length === 0;
  return (
    <article className={`msg assistant${live ? ' streaming' : ''}`} aria-label="Assistant" data-id={m.id} data-role="assistant" data-status={live ? 'streaming' : m.status} aria-busy={live}>
      {waiting ? (
        <div className="typing" aria-label="Assistant is thinking">
          <span />
          <span />
          <span />
        </div>
      ) : (
        <Markdown text={text} streaming={live} />
      )}
      {live && state === 'reconnecting' && (
        <div className="reconnecting" role="status">
          Reconnecting…
        </div>
      )}
      {!live && <StatusLine m={m} onRetry={() => actions.onRetry(m)} busy={busy} />}
      {!live && (
        <div className="msg-actions">
          <SiblingNav m={m} siblings={siblings} onSwitch={actions.onSwitch} disabled={busy} />
          <CopyButton text={m.content} />
          <button type="button" className="icon-btn" aria-label="Regenerate response" title="Regenerate" disabled={busy} onClick={() => actions.onRegenerate(m)}>
            <Icon name="regenerate" />
          </button>
          {m.status === 'complete' && metaTitle(m) && (
            <span className="meta" tabIndex={0} title={metaTitle(m)} aria-label={metaTitle(m).replace(/\n/g, ', ')}>
              <Icon name="info" />
            </span>
          )}
        </div>
      )}
    </article>
  );
}

export const MessageView = memo(function MessageView(p: Props) {
  return p.message.role === 'user' ? <UserMessage {...p} /> : <AssistantMessage {...p} />;
});
