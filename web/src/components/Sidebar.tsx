import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Conversation } from '../api/types';
import { Icon } from './Icon';

interface Props {
  conversations: Conversation[] | null;
  activeId: string | null;
  query: string;
  error: string | null;
  onQuery(q: string): void;
  onNew(): void;
  onOpen(id: string): void;
  onRename(id: string, title: string): void;
  onDelete(id: string): void;
  onRetry(): void;
  /** Shown at the bottom (the user menu in multi-user mode). */
  footer?: ReactNode;
}

function Item({ c, active, onOpen, onRename, onDelete }: { c: Conversation; active: boolean } & Pick<Props, 'onOpen' | 'onRename' | 'onDelete'>) {
  const [mode, setMode] = useState<'view' | 'rename' | 'confirm'>('view');
  const [title, setTitle] = useState(c.title);
  const input = useRef<HTMLInputElement>(null);
  const confirmBtn = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (mode === 'rename') input.current?.select();
    if (mode === 'confirm') confirmBtn.current?.focus();
  }, [mode]);
  const label = c.title || 'New chat';
  if (mode === 'rename')
    return (
      <li className="conv-item">
        <form
          className="rename-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (title.trim()) onRename(c.id, title.trim());
            setMode('view');
          }}
        >
          <label className="visually-hidden" htmlFor={`rename-${c.id}`}>
            New title
          </label>
          <input
            id={`rename-${c.id}`}
            ref={input}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && setMode('view')}
            onBlur={() => setMode('view')}
          />
        </form>
      </li>
    );
  if (mode === 'confirm')
    return (
      <li className="conv-item confirm" role="group" aria-label={`Delete ${label}?`}>
        <span className="conv-title">Delete “{label}”?</span>
        <button type="button" className="btn danger" ref={confirmBtn} onClick={() => onDelete(c.id)}>
          Delete
        </button>
        <button type="button" className="btn" onClick={() => setMode('view')}>
          Cancel
        </button>
      </li>
    );
  return (
    <li className={`conv-item${active ? ' active' : ''}`}>
      <a className="conv-link" href={`#/c/${c.id}`} aria-current={active ? 'page' : undefined} onClick={(e) => { e.preventDefault(); onOpen(c.id); }}>
        <span className="conv-title">{label}</span>
      </a>
      <button type="button" className="icon-btn small" aria-label={`Rename ${label}`} title="Rename" onClick={() => { setTitle(c.title); setMode('rename'); }}>
        <Icon name="edit" size={16} />
      </button>
      <button type="button" className="icon-btn small" aria-label={`Delete ${label}`} title="Delete" onClick={() => setMode('confirm')}>
        <Icon name="trash" size={16} />
      </button>
    </li>
  );
}

export function Sidebar(p: Props) {
  return (
    <nav className="sidebar-inner" aria-label="Conversations">
      <div className="sidebar-top">
        <div className="brand" aria-hidden="true">
          <svg viewBox="0 0 32 32" width="24" height="24">
            <rect width="32" height="32" rx="8" fill="currentColor" />
            <path d="M8 11h16M8 16h12M8 21h8" stroke="var(--bg)" strokeWidth="2.5" strokeLinecap="round" />
          </svg>
          chatstream
        </div>
        <button type="button" className="btn primary new-chat" onClick={p.onNew}>
          + New chat
        </button>
        <label className="visually-hidden" htmlFor="conv-search">
          Search conversations
        </label>
        <input id="conv-search" type="search" className="search" placeholder="Search by title" value={p.query} onChange={(e) => p.onQuery(e.target.value)} />
      </div>
      {p.error ? (
        <div className="sidebar-error" role="alert">
          <p>{p.error}</p>
          <button type="button" className="btn" onClick={p.onRetry}>
            Retry
          </button>
        </div>
      ) : p.conversations === null ? (
        <ul className="conv-list" aria-busy="true" aria-label="Loading conversations">
          {[0, 1, 2, 3, 4].map((i) => (
            <li key={i} className="skeleton-line" />
          ))}
        </ul>
      ) : p.conversations.length === 0 ? (
        <p className="empty-list">{p.query ? 'No conversation matches.' : 'No conversations yet.'}</p>
      ) : (
        <ul className="conv-list">
          {p.conversations.map((c) => (
            <Item key={c.id} c={c} active={c.id === p.activeId} onOpen={p.onOpen} onRename={p.onRename} onDelete={p.onDelete} />
          ))}
        </ul>
      )}
      {p.footer && <div className="sidebar-footer">{p.footer}</div>}
    </nav>
  );
}
