import { forwardRef, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';

export interface ComposerHandle {
  focus(): void;
}

interface Props {
  streaming: boolean;
  disabled?: boolean;
  /** Resolving to false (not sent) puts the text back, unless something new was typed. */
  onSend(text: string): void | Promise<boolean>;
  onStop(): void;
  /** sessionStorage key that keeps the draft across reloads and a new login. */
  draftKey?: string;
}

function readDraft(key: string | undefined): string {
  if (!key) return '';
  try {
    return sessionStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

const MAX_HEIGHT = 200;

export const Composer = forwardRef<ComposerHandle, Props>(function Composer({ streaming, disabled, onSend, onStop, draftKey }, ref) {
  const [text, setText] = useState(() => readDraft(draftKey));
  const textRef = useRef(text);
  textRef.current = text;
  // The draft stays saved while a send is on its way (a failed send, e.g. because the
  // session ended and the login page replaced the chat, finds it again).
  const keepSaved = useRef(false);
  const ta = useRef<HTMLTextAreaElement>(null);
  const composing = useRef(false);
  useImperativeHandle(ref, () => ({ focus: () => ta.current?.focus() }), []);

  useEffect(() => {
    if (!draftKey) return;
    if (keepSaved.current) {
      keepSaved.current = false;
      return;
    }
    try {
      if (text) sessionStorage.setItem(draftKey, text);
      else sessionStorage.removeItem(draftKey);
    } catch {
      // Storage full or blocked: the draft just is not kept.
    }
  }, [draftKey, text]);

  // Auto-grow: measure the content height (set via CSSOM, allowed by the CSP).
  useLayoutEffect(() => {
    const el = ta.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT)}px`;
  }, [text]);

  const canSend = text.trim().length > 0 && !streaming && !disabled;
  const submit = () => {
    if (!canSend) return;
    const sent = text.trim();
    const r = onSend(sent);
    keepSaved.current = true;
    setText('');
    const forget = () => {
      try {
        if (draftKey && textRef.current === '') sessionStorage.removeItem(draftKey);
      } catch {
        // ignore
      }
    };
    if (r instanceof Promise)
      void r.then((ok) => {
        if (ok) forget();
        else if (textRef.current === '') setText(sent);
      });
    else forget();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key !== 'Enter' || e.shiftKey) return;
    // IME: Enter while composing (CJK) confirms the candidate; never send then.
    if (composing.current || e.nativeEvent.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    submit();
  };

  return (
    <form
      className="composer"
      aria-label="Send a message"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor="composer-input" className="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-input"
        ref={ta}
        rows={1}
        value={text}
        placeholder="Message chatstream…"
        enterKeyHint="send"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        onCompositionStart={() => (composing.current = true)}
        onCompositionEnd={() => (composing.current = false)}
      />
      {streaming ? (
        <button type="button" className="composer-btn stop" aria-label="Stop generating" onClick={onStop}>
          <span className="stop-square" aria-hidden="true" />
        </button>
      ) : (
        <button type="submit" className="composer-btn send" aria-label="Send message" disabled={!canSend}>
          <svg viewBox="0 0 24 24" aria-hidden="true" width="20" height="20">
            <path d="M12 19V5M5 12l7-7 7 7" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
        </button>
      )}
    </form>
  );
});
