import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { ApiError, api } from './api/client';
import type { Conversation, ConversationWithMessages, Message, ModelList, User } from './api/types';
import { limitMessage } from './auth/limits';
import { draftKey } from './auth/state';
import { AccountPage } from './components/AccountPage';
import { AdminPage } from './components/AdminPage';
import { Composer, type ComposerHandle } from './components/Composer';
import { Icon } from './components/Icon';
import { LiveRegion, createAnnouncer } from './components/LiveRegion';
import { MessageView, type MessageActions } from './components/MessageView';
import { Sidebar } from './components/Sidebar';
import { UserMenu } from './components/UserMenu';
import { useCountdown, useMediaQuery, useStickToBottom, useVisualViewport } from './hooks';
import { LiveStream, type StreamSnapshot } from './lib/stream';
import { buildTree, deepestLeaf, defaultLeaf, pathTo, siblings } from './lib/tree';

function parseHash(): string | null {
  const m = /^#\/c\/([A-Za-z0-9_-]+)/.exec(window.location.hash);
  return m ? m[1] : null;
}

type Page = 'account' | 'tokens' | 'admin';

function parsePage(): Page | null {
  const h = window.location.hash;
  if (h === '#/admin') return 'admin';
  if (h === '#/account') return 'account';
  if (h === '#/account/tokens') return 'tokens';
  return null;
}

const PAGE_TITLES: Record<Page, string> = { account: 'Account settings', tokens: 'API tokens', admin: 'Administration' };

/** Set in multi-user mode: the signed-in user and what the user menu does. */
export interface AccountProps {
  user: User;
  onLogout(): void;
  onUserUpdated(user: User): void;
}

interface LimitNotice {
  code: string;
  timed: boolean;
}

function navigate(id: string | null): void {
  const target = id ? `#/c/${id}` : '#/';
  if (window.location.hash !== target) window.location.hash = target;
}

function titleFrom(text: string): string {
  const line = text.split('\n').find((l) => l.trim()) ?? text;
  const t = line.trim();
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

const SUGGESTIONS = [
  'Show me a TypeScript debounce function with an example',
  'Compare SSE, WebSockets and long polling in a table',
  'Explain how HTTP keep-alive works, step by step',
];

export default function App({ account }: { account?: AccountProps }) {
  useVisualViewport();
  const isPhone = useMediaQuery('(max-width: 800px)');
  const [models, setModels] = useState<ModelList | null>(null);
  const [list, setList] = useState<Conversation[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [route, setRoute] = useState<string | null>(parseHash);
  const [page, setPage] = useState<Page | null>(parsePage);
  const [limit, setLimit] = useState<LimitNotice | null>(null);
  const [limitWait, startLimitWait] = useCountdown();
  const [conv, setConv] = useState<ConversationWithMessages | null>(null);
  const [convState, setConvState] = useState<'idle' | 'loading' | 'error'>('idle');
  const [convError, setConvError] = useState<string | null>(null);
  const [newModel, setNewModel] = useState('');
  const [drawer, setDrawer] = useState(false);
  const [toast, setToast] = useState<string | null>(null);
  const [announcer] = useState(createAnnouncer);
  const [reloadKey, reload] = useReducer((x: number) => x + 1, 0);
  const streams = useRef(new Map<string, LiveStream>());
  const finishedIds = useRef(new Set<string>());
  const [, bumpStreams] = useReducer((x: number) => x + 1, 0);
  const composer = useRef<ComposerHandle>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const contentRef = useRef<HTMLDivElement>(null);
  const convRef = useRef(conv);
  convRef.current = conv;

  const showToast = useCallback((t: string) => setToast(t), []);
  /** Failed sends: limits (429) get a lasting notice in the chat with the wait; the rest a toast. */
  const showFailure = useCallback(
    (prefix: string, e: unknown) => {
      if (e instanceof ApiError && e.status === 429 && limitMessage(e.code, e.retryAfter)) {
        setLimit({ code: e.code, timed: e.retryAfter !== null && e.retryAfter > 0 });
        startLimitWait(e.retryAfter);
        return;
      }
      showToast(`${prefix}: ${errText(e)}`);
    },
    [showToast, startLimitWait],
  );
  // A timed limit notice goes away when the wait is over.
  useEffect(() => {
    if (limit?.timed && limitWait === null) setLimit(null);
  }, [limit, limitWait]);
  useEffect(() => {
    if (!toast) return;
    const h = setTimeout(() => setToast(null), 5000);
    return () => clearTimeout(h);
  }, [toast]);

  useEffect(() => {
    const onHash = () => {
      setRoute(parseHash());
      setPage(parsePage());
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // Models.
  useEffect(() => {
    api.models().then(
      (m) => {
        setModels(m);
        setNewModel((cur) => cur || m.default);
      },
      () => setModels(null),
    );
  }, [reloadKey]);

  // Conversation list (debounced search by title).
  const refreshList = useCallback(() => {
    api.listConversations(query.trim() || undefined).then(
      (r) => {
        setList(r.conversations);
        setListError(null);
      },
      (e) => setListError(e instanceof ApiError && e.unreachable ? 'Cannot reach the server.' : errText(e)),
    );
  }, [query]);
  useEffect(() => {
    const h = setTimeout(refreshList, query ? 250 : 0);
    return () => clearTimeout(h);
  }, [refreshList, query, reloadKey]);

  const mergeConversation = useCallback((fresh: ConversationWithMessages) => {
    const messages = fresh.messages.map((m) => {
      if (m.status === 'streaming' && finishedIds.current.has(m.id)) {
        const local = convRef.current?.messages.find((x) => x.id === m.id);
        return local ?? m;
      }
      return m;
    });
    setConv({ ...fresh, messages });
  }, []);

  // Load the routed conversation.
  useEffect(() => {
    if (!route) {
      setConv(null);
      setConvState('idle');
      return;
    }
    if (convRef.current?.id === route) return;
    let cancelled = false;
    setConvState('loading');
    setConv(null);
    api.getConversation(route).then(
      (c) => {
        if (cancelled) return;
        mergeConversation(c);
        setConvState('idle');
      },
      (e) => {
        if (cancelled) return;
        if (e instanceof ApiError && e.status === 404) {
          showToast('That conversation does not exist any more.');
          navigate(null);
          return;
        }
        setConvError(e instanceof ApiError && e.unreachable ? 'Cannot reach the server. Check your connection.' : errText(e));
        setConvState('error');
      },
    );
    return () => {
      cancelled = true;
    };
  }, [route, reloadKey, mergeConversation, showToast]);

  const tree = useMemo(() => buildTree(conv?.messages ?? []), [conv]);
  const path = useMemo(() => pathTo(tree, conv?.current_leaf_id ?? defaultLeaf(tree)), [tree, conv]);

  const patchMessage = useCallback((cid: string, id: string, patch: Partial<Message>) => {
    setConv((prev) => (prev && prev.id === cid ? { ...prev, messages: prev.messages.map((m) => (m.id === id ? { ...m, ...patch } : m)) } : prev));
  }, []);

  const onStreamFinished = useCallback(
    (cid: string, mid: string, s: LiveStream, snap: StreamSnapshot) => {
      finishedIds.current.add(mid);
      const r = snap.result;
      patchMessage(cid, mid, {
        content: s.pacer.fullText,
        // An answer whose server stopped mid-way (with several instances: "owner_lost") is
        // interrupted, not failed: its partial text is saved.
        status: (snap.error ? (snap.error.status === 'interrupted' ? 'interrupted' : 'error') : (r?.status as Message['status'])) ?? 'complete',
        error: snap.error && snap.error.status !== 'interrupted' ? { message: snap.error.message, code: snap.error.code } : null,
        usage: r?.usage ?? null,
        ttft_ms: r?.ttft_ms ?? null,
        duration_ms: r?.duration_ms ?? null,
        finish_reason: r?.finish_reason ?? null,
      });
      streams.current.delete(mid);
      s.dispose();
      bumpStreams();
      // Sync with what the server saved.
      const streamed = s.pacer.fullText;
      api.getConversation(cid).then(
        (c) => {
          const saved = c.messages.find((m) => m.id === mid);
          if (saved && saved.status !== 'streaming' && saved.content !== streamed)
            console.warn(`chatstream: streamed text differs from saved text for message ${mid}`);
          if (convRef.current?.id === cid) mergeConversation(c);
        },
        () => {},
      );
      refreshList();
    },
    [patchMessage, mergeConversation, refreshList],
  );

  // Attach to messages on the visible path that are still streaming (also after a refresh).
  useEffect(() => {
    if (!conv) return;
    const onPath = new Set(path.map((m) => m.id));
    for (const [id, s] of streams.current) {
      if (!onPath.has(id)) {
        s.dispose();
        streams.current.delete(id);
      }
    }
    let added = false;
    for (const m of path) {
      if (m.role !== 'assistant' || m.status !== 'streaming' || streams.current.has(m.id) || finishedIds.current.has(m.id)) continue;
      const cid = conv.id;
      const s: LiveStream = new LiveStream(m.id, api.eventsUrl(m.id), {
        initialText: m.content,
        onFinished: (snap) => onStreamFinished(cid, m.id, s, snap),
      });
      streams.current.set(m.id, s);
      s.start();
      added = true;
    }
    if (added) bumpStreams();
  }, [conv, path, onStreamFinished]);

  useEffect(() => {
    const map = streams.current;
    return () => {
      for (const s of map.values()) s.dispose();
      map.clear();
    };
  }, []);

  const live = path.find((m) => streams.current.has(m.id));
  const busy = live !== undefined;
  const activeModelId = conv?.model || newModel || models?.default || '';
  const activeModel = models?.models.find((m) => m.id === activeModelId);
  const { atBottom, jumpToLatest } = useStickToBottom(scrollRef, contentRef, conv?.id ?? 'new');

  const addMessages = useCallback((cid: string, msgs: Message[], leaf: string) => {
    setConv((prev) => (prev && prev.id === cid ? { ...prev, messages: [...prev.messages, ...msgs], current_leaf_id: leaf } : prev));
  }, []);

  const send = useCallback(
    async (content: string): Promise<boolean> => {
      try {
        let c = convRef.current;
        if (!c) {
          const created = await api.createConversation({ title: titleFrom(content), model: newModel || undefined });
          c = { ...created, messages: [] };
          convRef.current = c;
          setConv(c);
          navigate(created.id);
        }
        const r = await api.sendMessage(c.id, { content, model: c.model || undefined });
        addMessages(c.id, [r.user_message, r.assistant_message], r.assistant_message.id);
        setLimit(null);
        jumpToLatest();
        composer.current?.focus();
        refreshList();
        return true;
      } catch (e) {
        showFailure('Could not send', e);
        return false;
      }
    },
    [newModel, addMessages, jumpToLatest, refreshList, showFailure],
  );

  const stop = useCallback(async () => {
    const c = convRef.current;
    if (!c || !live) return;
    const s = streams.current.get(live.id);
    if (!s) return;
    const { shown, text } = s.freeze();
    finishedIds.current.add(live.id);
    streams.current.delete(live.id);
    patchMessage(c.id, live.id, { content: text, status: 'cancelled' });
    bumpStreams();
    composer.current?.focus();
    try {
      const saved = await api.cancel(live.id, shown);
      patchMessage(c.id, live.id, saved);
    } catch (e) {
      showToast(`Could not stop on the server: ${errText(e)}`);
    }
  }, [live, patchMessage, showToast]);

  const actions: MessageActions = useMemo(
    () => ({
      onRegenerate: async (m) => {
        const c = convRef.current;
        if (!c) return;
        try {
          const r = await api.regenerate(m.id, { model: c.model || undefined });
          addMessages(c.id, [r.assistant_message], r.assistant_message.id);
        } catch (e) {
          showFailure('Could not regenerate', e);
        }
      },
      onRetry: async (m) => {
        const c = convRef.current;
        if (!c) return;
        try {
          const r = await api.regenerate(m.id, { model: c.model || undefined });
          addMessages(c.id, [r.assistant_message], r.assistant_message.id);
        } catch (e) {
          showFailure('Retry failed', e);
        }
      },
      onEdit: async (m, content) => {
        const c = convRef.current;
        if (!c) return;
        try {
          const r = await api.sendMessage(c.id, { content, parent_id: m.parent_id, model: c.model || undefined });
          addMessages(c.id, [r.user_message, r.assistant_message], r.assistant_message.id);
          composer.current?.focus();
        } catch (e) {
          showFailure('Could not send the edit', e);
        }
      },
      onSwitch: async (_m, to) => {
        const c = convRef.current;
        if (!c) return;
        const leaf = deepestLeaf(buildTree(c.messages), to.id);
        const before = c.current_leaf_id;
        setConv((prev) => (prev && prev.id === c.id ? { ...prev, current_leaf_id: leaf } : prev));
        try {
          await api.patchConversation(c.id, { current_leaf_id: leaf });
        } catch (e) {
          setConv((prev) => (prev && prev.id === c.id ? { ...prev, current_leaf_id: before } : prev));
          showToast(`Could not switch version: ${errText(e)}`);
        }
      },
    }),
    [addMessages, showToast, showFailure],
  );

  const openConversation = useCallback(
    (id: string) => {
      navigate(id);
      setDrawer(false);
    },
    [],
  );
  const newChat = useCallback(() => {
    navigate(null);
    setDrawer(false);
    setTimeout(() => composer.current?.focus(), 0);
  }, []);
  const rename = useCallback(
    async (id: string, title: string) => {
      try {
        const u = await api.patchConversation(id, { title });
        setList((l) => l?.map((c) => (c.id === id ? { ...c, title: u.title } : c)) ?? l);
        setConv((prev) => (prev && prev.id === id ? { ...prev, title: u.title } : prev));
      } catch (e) {
        showToast(`Rename failed: ${errText(e)}`);
      }
    },
    [showToast],
  );
  const remove = useCallback(
    async (id: string) => {
      try {
        await api.deleteConversation(id);
        setList((l) => l?.filter((c) => c.id !== id) ?? l);
        if (convRef.current?.id === id) {
          convRef.current = null;
          navigate(null);
        }
      } catch (e) {
        showToast(`Delete failed: ${errText(e)}`);
      }
    },
    [showToast],
  );
  const changeModel = useCallback(
    async (id: string) => {
      const c = convRef.current;
      if (!c) {
        setNewModel(id);
        return;
      }
      try {
        const u = await api.patchConversation(c.id, { model: id });
        setConv((prev) => (prev && prev.id === c.id ? { ...prev, model: u.model } : prev));
      } catch (e) {
        showToast(`Could not change the model: ${errText(e)}`);
      }
    },
    [showToast],
  );

  const menuBtn = useRef<HTMLButtonElement>(null);
  const pageMenuBtn = useRef<HTMLButtonElement>(null);
  // Opening the account or admin page moves focus to its title (screen readers announce it).
  const pageTitle = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (page) pageTitle.current?.focus();
  }, [page]);
  useEffect(() => {
    if (!drawer || !isPhone) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setDrawer(false);
    window.addEventListener('keydown', onKey);
    // Focus the first control, not the search field (that would pop up the keyboard).
    document.querySelector<HTMLButtonElement>('.sidebar .new-chat')?.focus();
    const btn = pageMenuBtn.current ?? menuBtn.current;
    return () => {
      window.removeEventListener('keydown', onKey);
      // Focus goes back where it came from (unless a conversation was opened).
      if (document.activeElement === document.body || document.activeElement?.closest('.sidebar')) btn?.focus();
    };
  }, [drawer, isPhone]);

  const announce = announcer.announce;
  const title = conv ? conv.title || 'New chat' : 'New chat';
  const drawerHidden = isPhone && !drawer;

  return (
    <div className="app">
      <a className="skip-link" href="#composer-input">
        Skip to message input
      </a>
      <aside className={`sidebar${drawer ? ' open' : ''}`} aria-label="Conversation list" inert={drawerHidden}>
        <Sidebar
          conversations={list}
          activeId={conv?.id ?? null}
          query={query}
          error={listError}
          onQuery={setQuery}
          onNew={newChat}
          onOpen={openConversation}
          onRename={rename}
          onDelete={remove}
          onRetry={reload}
          footer={
            account && (
              <UserMenu
                user={account.user}
                onLogout={account.onLogout}
                onNavigate={(hash) => {
                  window.location.hash = hash;
                  setDrawer(false);
                }}
              />
            )
          }
        />
      </aside>
      {drawer && isPhone && <div className="scrim" aria-hidden="true" onClick={() => setDrawer(false)} />}
      {page && account && (
        <main className="chat page" inert={isPhone && drawer}>
          <header className="chat-header">
            <button type="button" ref={pageMenuBtn} className="icon-btn menu-btn" aria-label="Open conversation list" aria-expanded={drawer} onClick={() => setDrawer(true)}>
              <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                <path d="M4 7h16M4 12h16M4 17h16" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
              </svg>
            </button>
            <h1 className="chat-title" tabIndex={-1} ref={pageTitle}>
              {PAGE_TITLES[page]}
            </h1>
            <a className="btn" href="#/">
              Back to chat
            </a>
          </header>
          <div className="page-scroll">
            {page === 'admin' ? <AdminPage me={account.user} /> : <AccountPage user={account.user} section={page === 'tokens' ? 'tokens' : 'settings'} />}
          </div>
        </main>
      )}
      <main className="chat" inert={isPhone && drawer} hidden={!!(page && account)}>
        <header className="chat-header">
          <button type="button" ref={menuBtn} className="icon-btn menu-btn" aria-label="Open conversation list" aria-expanded={drawer} onClick={() => setDrawer(true)}>
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
              <path d="M4 7h16M4 12h16M4 17h16" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
          </button>
          <h1 className="chat-title">{title}</h1>
          {models && models.models.length > 0 && (
            <>
              <label htmlFor="model-picker" className="visually-hidden">
                Model
              </label>
              <select id="model-picker" className="model-picker" value={activeModelId} onChange={(e) => changeModel(e.target.value)} disabled={busy}>
                {models.models.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name || m.id}
                  </option>
                ))}
              </select>
            </>
          )}
        </header>
        {activeModel?.simulated && (
          <div className="banner" role="note">
            <strong>Simulated model (offline demo).</strong> For real answers, start the server with <code>OPENAI_API_KEY</code> or{' '}
            <code>ANTHROPIC_API_KEY</code> set.
          </div>
        )}
        <div className="scroller" ref={scrollRef} tabIndex={-1}>
          <div className="thread" ref={contentRef}>
            {convState === 'loading' ? (
              <div className="skeleton-thread" aria-busy="true" aria-label="Loading conversation">
                <div className="skeleton-bubble right" />
                <div className="skeleton-block" />
                <div className="skeleton-block short" />
              </div>
            ) : convState === 'error' ? (
              <div className="panel-error" role="alert">
                <h2>Something went wrong</h2>
                <p>{convError}</p>
                <button type="button" className="btn primary" onClick={reload}>
                  Try again
                </button>
              </div>
            ) : path.length === 0 ? (
              <div className="empty-state">
                <h2>How can I help?</h2>
                <div className="suggestions">
                  {SUGGESTIONS.map((s) => (
                    <button key={s} type="button" className="suggestion" onClick={() => void send(s)}>
                      {s}
                    </button>
                  ))}
                </div>
              </div>
            ) : (
              path.map((m) => (
                <MessageView
                  key={m.id}
                  message={m}
                  siblings={siblings(tree, m)}
                  stream={streams.current.get(m.id)}
                  busy={busy}
                  actions={actions}
                  announce={announce}
                />
              ))
            )}
          </div>
        </div>
        {!atBottom && (
          <button type="button" className="jump-latest" onClick={jumpToLatest}>
            <Icon name="arrowDown" size={16} /> Jump to latest
          </button>
        )}
        <div className="composer-wrap">
          {limit && (
            <div className="limit-notice" role="alert">
              <span>{limitMessage(limit.code, limitWait)}</span>
              <button type="button" className="icon-btn small" aria-label="Dismiss" onClick={() => setLimit(null)}>
                ×
              </button>
            </div>
          )}
          <Composer
            ref={composer}
            streaming={busy}
            disabled={convState !== 'idle'}
            onSend={send}
            onStop={stop}
            draftKey={account ? draftKey(account.user.id) : undefined}
          />
        </div>
        <LiveRegion announcer={announcer} />
        {toast && (
          <div className="toast" role="status">
            {toast}
          </div>
        )}
      </main>
    </div>
  );
}
