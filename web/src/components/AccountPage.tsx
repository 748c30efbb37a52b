// Account settings: usage today, change password, other sessions, API tokens.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, authApi } from '../api/client';
import type { ApiToken, CreatedToken, UsageToday, User } from '../api/types';
import { usageOf } from '../auth/limits';
import { errorText } from './LoginPage';

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

function UsageSection() {
  const [usage, setUsage] = useState<UsageToday | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    authApi.usage().then(setUsage, (e) => setError(errorText(e)));
  }, []);
  return (
    <section className="card" aria-labelledby="usage-h">
      <h2 id="usage-h">Usage today</h2>
      {error ? (
        <p className="form-error">{error}</p>
      ) : !usage ? (
        <p className="muted">Loading…</p>
      ) : (
        <dl className="stats">
          <div>
            <dt>Tokens</dt>
            <dd>{usageOf(usage.today.tokens, usage.limits.tokens_per_day)}</dd>
          </div>
          <div>
            <dt>Requests</dt>
            <dd>{usage.today.requests.toLocaleString('en-US')}</dd>
          </div>
          <div>
            <dt>Requests per minute</dt>
            <dd>{usage.limits.requests_per_minute > 0 ? `up to ${usage.limits.requests_per_minute}` : 'no limit'}</dd>
          </div>
          <div>
            <dt>Answers at once</dt>
            <dd>{usage.limits.max_concurrent > 0 ? `up to ${usage.limits.max_concurrent}` : 'no limit'}</dd>
          </div>
        </dl>
      )}
      {usage && <p className="field-hint">Day {usage.today.day} (UTC). The token budget resets at midnight UTC.</p>}
    </section>
  );
}

function PasswordSection() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (!current) return setMsg({ ok: false, text: 'Enter your current password.' });
    if (next.length < 8) return setMsg({ ok: false, text: 'The new password must have at least 8 characters.' });
    if (next !== confirm) return setMsg({ ok: false, text: 'The new passwords do not match.' });
    setBusy(true);
    setMsg(null);
    try {
      await authApi.changePassword({ current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      setMsg({ ok: true, text: 'Password changed. Your other sessions were logged out.' });
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      const wrong = code === 'wrong_password' || code === 'invalid_credentials';
      setMsg({ ok: false, text: wrong ? 'The current password is wrong.' : errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="pw-h">
      <h2 id="pw-h">Change password</h2>
      <form className="stack-form" onSubmit={submit} noValidate>
        {/* Lets password managers know whose password this is. */}
        <input type="text" name="username" autoComplete="username" className="visually-hidden" tabIndex={-1} aria-hidden="true" readOnly value="" />
        <div className="field">
          <label htmlFor="pw-current">Current password</label>
          <input id="pw-current" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="pw-new">New password</label>
          <input id="pw-new" type="password" autoComplete="new-password" aria-describedby="pw-hint" value={next} onChange={(e) => setNext(e.target.value)} />
          <span id="pw-hint" className="field-hint">
            At least 8 characters.
          </span>
        </div>
        <div className="field">
          <label htmlFor="pw-confirm">Repeat the new password</label>
          <input id="pw-confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </div>
        <div className={msg?.ok ? 'form-ok' : 'form-error'} role={msg?.ok ? 'status' : 'alert'}>
          {msg?.text}
        </div>
        <div>
          <button type="submit" className="btn primary" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}

function SessionsSection() {
  const [msg, setMsg] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const r = await authApi.logoutOthers();
      setMsg(r.ended === 0 ? 'There were no other sessions.' : r.ended === 1 ? 'Logged out 1 other session.' : `Logged out ${r.ended} other sessions.`);
    } catch (e) {
      setMsg(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="sess-h">
      <h2 id="sess-h">Sessions</h2>
      <p className="muted">Signed in on another device you no longer use? End every session except this one.</p>
      <button type="button" className="btn" onClick={run} disabled={busy}>
        Log out other sessions
      </button>
      <p className="form-ok" role="status">
        {msg}
      </p>
    </section>
  );
}

function CopyButton({ text }: { text: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const h = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(h);
  }, [state]);
  return (
    <button
      type="button"
      className="btn"
      onClick={() =>
        navigator.clipboard?.writeText(text).then(
          () => setState('copied'),
          () => setState('failed'),
        ) ?? setState('failed')
      }
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select and copy' : 'Copy'}
    </button>
  );
}

/** API tokens: the secret of a new token is shown once, then only its prefix. */
export function TokensSection() {
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const secretRef = useRef<HTMLDivElement>(null);

  const load = useCallback(() => {
    authApi.tokens().then(
      (r) => setTokens(r.tokens),
      (e) => setError(errorText(e)),
    );
  }, []);
  useEffect(load, [load]);
  useEffect(() => {
    if (created) secretRef.current?.focus();
  }, [created]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || busy) return setError(name.trim() ? null : 'Give the token a name, e.g. the tool that will use it.');
    setBusy(true);
    setError(null);
    try {
      const t = await authApi.createToken(name.trim());
      setCreated(t);
      setName('');
      // The list never holds the secret.
      const listed: ApiToken = { id: t.id, name: t.name, prefix: t.prefix, created_at: t.created_at, last_used_at: t.last_used_at };
      setTokens((l) => [listed, ...(l ?? []).filter((x) => x.id !== t.id)]);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (id: string) => {
    try {
      await authApi.revokeToken(id);
      setTokens((l) => l?.filter((t) => t.id !== id) ?? l);
      if (created?.id === id) setCreated(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setConfirming(null);
    }
  };

  return (
    <section className="card" aria-labelledby="tokens-h" id="tokens">
      <h2 id="tokens-h">API tokens</h2>
      <p className="muted">
        Tokens let programs use the OpenAI-compatible <code>/v1</code> API as you (<code>Authorization: Bearer …</code>).
      </p>
      {created && (
        <div className="secret-box" role="group" aria-labelledby="secret-h" tabIndex={-1} ref={secretRef}>
          <h3 id="secret-h">New token “{created.name}”</h3>
          <p className="secret-warn">Copy it now. It will not be shown again.</p>
          <code className="secret" data-testid="token-secret">
            {created.token}
          </code>
          <div className="row-actions">
            <CopyButton text={created.token} />
            <button type="button" className="btn primary" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      <form className="inline-form" onSubmit={create} noValidate>
        <div className="field grow">
          <label htmlFor="token-name">Name of a new token</label>
          <input id="token-name" autoComplete="off" maxLength={100} placeholder="e.g. laptop script" value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <button type="submit" className="btn primary" disabled={busy}>
          Create token
        </button>
      </form>
      <div className="form-error" role="alert">
        {error}
      </div>
      {tokens === null ? (
        !error && <p className="muted">Loading…</p>
      ) : tokens.length === 0 ? (
        <p className="muted">No tokens yet.</p>
      ) : (
        <ul className="token-list" aria-label="Your API tokens">
          {tokens.map((t) => (
            <li key={t.id} className="token-item">
              <div className="token-main">
                <span className="token-name">{t.name}</span>
                <code className="token-prefix" aria-label={`starts with ${t.prefix}`}>
                  {t.prefix}…
                </code>
              </div>
              <div className="token-meta">
                Created {formatDate(t.created_at)} · last used {formatDate(t.last_used_at)}
              </div>
              {confirming === t.id ? (
                <div className="row-actions confirm" role="group" aria-label={`Revoke ${t.name}?`}>
                  <span>Revoke “{t.name}”? Programs using it stop working.</span>
                  <button type="button" className="btn danger" onClick={() => void revoke(t.id)} autoFocus>
                    Revoke
                  </button>
                  <button type="button" className="btn" onClick={() => setConfirming(null)}>
                    Cancel
                  </button>
                </div>
              ) : (
                <div className="row-actions">
                  <button type="button" className="btn" aria-label={`Revoke token ${t.name}`} onClick={() => setConfirming(t.id)}>
                    Revoke
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function AccountPage({ user, section }: { user: User; section: 'settings' | 'tokens' }) {
  const tokensFirst = section === 'tokens';
  useEffect(() => {
    if (tokensFirst) document.getElementById('tokens')?.scrollIntoView?.();
  }, [tokensFirst]);
  return (
    <div className="page-inner">
      <p className="page-lead">
        Signed in as <strong>{user.username}</strong> ({user.role === 'admin' ? 'administrator' : 'user'}).
      </p>
      <UsageSection />
      <PasswordSection />
      <SessionsSection />
      <TokensSection />
    </div>
  );
}
