// The signed-in user's menu in the sidebar footer: account, tokens, admin, log out.
import { useEffect, useId, useRef, useState } from 'react';
import type { User } from '../api/types';

interface Props {
  user: User;
  onNavigate(hash: string): void;
  onLogout(): void;
}

export function UserMenu({ user, onNavigate, onLogout }: Props) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const id = useId();

  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('pointerdown', onDown);
    document.addEventListener('keydown', onKey, true);
    root.current?.querySelector<HTMLElement>('.user-menu-list a, .user-menu-list button')?.focus();
    return () => {
      document.removeEventListener('pointerdown', onDown);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [open]);

  const go = (hash: string) => {
    setOpen(false);
    onNavigate(hash);
  };
  const item = (hash: string, label: string) => (
    <li>
      <a
        href={hash}
        className="user-menu-item"
        onClick={(e) => {
          e.preventDefault();
          go(hash);
        }}
      >
        {label}
      </a>
    </li>
  );

  return (
    <div className="user-menu" ref={root}>
      {open && (
        <ul className="user-menu-list" id={id} aria-label="Account">
          {item('#/account', 'Account settings')}
          {item('#/account/tokens', 'API tokens')}
          {user.role === 'admin' && item('#/admin', 'Administration')}
          <li>
            <button
              type="button"
              className="user-menu-item"
              onClick={() => {
                setOpen(false);
                onLogout();
              }}
            >
              Log out
            </button>
          </li>
        </ul>
      )}
      <button
        type="button"
        ref={button}
        className="user-menu-button"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        aria-label={`Account menu for ${user.username}`}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="avatar" aria-hidden="true">
          {user.username.slice(0, 1).toUpperCase()}
        </span>
        <span className="user-menu-name">
          <span className="user-menu-username">{user.username}</span>
          <span className="user-menu-role">{user.role === 'admin' ? 'Administrator' : 'User'}</span>
        </span>
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" className="chev">
          <path d="M6 15l6-6 6 6" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </button>
    </div>
  );
}
