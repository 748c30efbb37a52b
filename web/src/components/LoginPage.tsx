// Login and first-admin setup pages (multi-user mode).
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, authApi } from '../api/client';
import type { User } from '../api/types';
import { formatWait, limitMessage } from '../auth/limits';
import { useCountdown } from '../hooks';

function Brand() {
  return (
    <div className="brand auth-brand" aria-hidden="true">
      <svg viewBox="0 0 32 32" width="28" height="28">
        <rect width="32" height="32" rx="8" fill="currentColor" />
        <path d="M8 11h16M8 16h12M8 21h8" stroke="var(--bg)" strokeWidth="2.5" strokeLinecap="round" />
      </svg>
      chatstream
    </div>
  );
}

function AuthShell({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <Brand />
        <h1>{title}</h1>
        {intro}
        {children}
      </div>
    </main>
  );
}

export function errorText(e: unknown, fallback = 'Something went wrong. Try again.'): string {
  if (e instanceof ApiError) {
    if (e.unreachable) return 'Cannot reach the server. Check your connection.';
    const limit = limitMessage(e.code, e.retryAfter);
    if (limit) return limit;
    if (e.code === 'weak_password') return 'The password must have at least 8 characters.';
    if (e.code === 'username_taken') return 'That username is taken.';
    return e.message || fallback;
  }
  return e instanceof Error ? e.message : fallback;
}

export function LoginPage({ notice, onDone }: { notice: string | null; onDone(user: User): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [wait, startWait] = useCountdown();
  const userRef = useRef<HTMLInputElement>(null);
  const passRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Log in · chatstream';
    userRef.current?.focus();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || wait !== null) return;
    if (!username.trim() || !password) {
      setError('Enter your username and password.');
      (username.trim() ? passRef : userRef).current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await authApi.login({ username: username.trim(), password });
      document.title = 'chatstream';
      onDone(r.user);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.code === 'invalid_credentials') {
        setError('Wrong username or password.');
        setPassword('');
        passRef.current?.focus();
      } else if (err instanceof ApiError && err.code === 'too_many_login_attempts') {
        startWait(err.retryAfter);
        setError(errorText(err));
      } else setError(errorText(err));
    }
  };

  const lockText = wait !== null ? `Too many login attempts. Try again in ${formatWait(wait)}.` : error;
  return (
    <AuthShell title="Log in" intro={notice && <p className="auth-notice" role="status">{notice}</p>}>
      <form className="auth-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="login-username">Username</label>
          <input
            id="login-username"
            ref={userRef}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            aria-invalid={error !== null && !username.trim() ? true : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            ref={passRef}
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby={lockText ? 'login-error' : undefined}
          />
        </div>
        <div id="login-error" className="form-error" role="alert">
          {lockText}
        </div>
        <button type="submit" className="btn primary wide" disabled={busy || wait !== null}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p className="auth-foot">No account? Ask an administrator of this server to create one.</p>
    </AuthShell>
  );
}

export function SetupPage({ onDone }: { onDone(user: User): void }) {
  const [token, setToken] = useState(() => new URLSearchParams(window.location.search).get('token') ?? '');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  const tokenRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Set up · chatstream';
    (token ? first : tokenRef).current?.focus();
    // Only on mount: focus the first empty field.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (!token.trim()) return setError('Enter the setup token printed in the server log.');
    if (!username.trim()) return setError('Choose a username.');
    if (password.length < 8) return setError('The password must have at least 8 characters.');
    if (password !== confirm) return setError('The passwords do not match.');
    setBusy(true);
    setError(null);
    try {
      const user = await authApi.setup({ token: token.trim(), username: username.trim(), password });
      document.title = 'chatstream';
      onDone(user);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && (err.status === 401 || err.status === 403))
        setError('The setup token is not valid. Use the one printed in the server log at start.');
      else if (err instanceof ApiError && err.status === 409 && err.code !== 'username_taken')
        setError('This server is already set up. Reload the page to log in.');
      else setError(errorText(err));
    }
  };

  return (
    <AuthShell
      title="Set up chatstream"
      intro={<p className="auth-intro">Create the first administrator account. The setup token is printed in the server log at first start.</p>}
    >
      <form className="auth-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="setup-token">Setup token</label>
          <input
            id="setup-token"
            ref={tokenRef}
            autoComplete="off"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="setup-username">Administrator username</label>
          <input
            id="setup-username"
            ref={first}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="setup-password">Password</label>
          <input
            id="setup-password"
            name="new-password"
            type="password"
            autoComplete="new-password"
            aria-describedby="setup-password-hint"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <span id="setup-password-hint" className="field-hint">
            At least 8 characters.
          </span>
        </div>
        <div className="field">
          <label htmlFor="setup-confirm">Repeat the password</label>
          <input id="setup-confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </div>
        <div className="form-error" role="alert">
          {error}
        </div>
        <button type="submit" className="btn primary wide" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator'}
        </button>
      </form>
    </AuthShell>
  );
}
