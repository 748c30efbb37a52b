// Administration: users (create, role, disable, password, limits) and usage per day.
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { adminApi } from '../api/client';
import type { AdminUser, Limits, Role, UsageDay, User } from '../api/types';
import { errorText } from './LoginPage';

const LIMIT_FIELDS: { key: keyof Limits; label: string; hint: string }[] = [
  { key: 'requests_per_minute', label: 'Requests per minute', hint: 'generation requests' },
  { key: 'max_concurrent', label: 'Answers at once', hint: 'concurrent generations' },
  { key: 'tokens_per_day', label: 'Tokens per day', hint: 'resets at midnight UTC' },
];

const num = (n: number) => n.toLocaleString('en-US');

/** Form text for a limit: '' = the server default. */
export function limitInput(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/** Parses a limit field: '' → null (default), a whole number ≥ 0, or an error text. */
export function parseLimit(text: string): { value: number | null } | { error: string } {
  const t = text.trim();
  if (t === '') return { value: null };
  if (!/^\d+$/.test(t)) return { error: 'Use a whole number (0 = no limit), or leave empty for the default.' };
  return { value: Number(t) };
}

function defaultPlaceholder(u: AdminUser, key: keyof Limits): string {
  const own = u.limits?.[key];
  const eff = u.effective_limits?.[key];
  if (own !== null && own !== undefined) return '';
  if (eff === undefined) return 'default';
  return eff === 0 ? 'default: no limit' : `default: ${num(eff)}`;
}

function limitSummary(u: AdminUser): string {
  const e = u.effective_limits;
  if (!e) return '';
  const f = (n: number) => (n === 0 ? '∞' : num(n));
  return `${f(e.requests_per_minute)}/min · ${f(e.max_concurrent)} at once · ${f(e.tokens_per_day)} tokens/day`;
}

function UserEditor({ u, me, onSaved }: { u: AdminUser; me: User; onSaved(u: User): void }) {
  const self = u.id === me.id;
  const [limits, setLimits] = useState(() => Object.fromEntries(LIMIT_FIELDS.map((f) => [f.key, limitInput(u.limits?.[f.key])])) as Record<keyof Limits, string>);
  const [password, setPassword] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const patch = async (body: Parameters<typeof adminApi.updateUser>[1], done: string) => {
    setBusy(true);
    setMsg(null);
    try {
      const saved = await adminApi.updateUser(u.id, body);
      onSaved(saved);
      setMsg({ ok: true, text: done });
      return true;
    } catch (e) {
      setMsg({ ok: false, text: errorText(e) });
      return false;
    } finally {
      setBusy(false);
    }
  };
  const saveLimits = (e: FormEvent) => {
    e.preventDefault();
    const out: Partial<Limits> = {};
    for (const f of LIMIT_FIELDS) {
      const r = parseLimit(limits[f.key]);
      if ('error' in r) return setMsg({ ok: false, text: `${f.label}: ${r.error}` });
      out[f.key] = r.value;
    }
    void patch({ limits: out }, 'Limits saved.');
  };
  const resetPassword = async (e: FormEvent) => {
    e.preventDefault();
    if (password.length < 8) return setMsg({ ok: false, text: 'The new password must have at least 8 characters.' });
    if (await patch({ password }, `Password of ${u.username} changed.`)) setPassword('');
  };
  const id = (k: string) => `u-${u.id}-${k}`;

  return (
    <div className="user-editor">
      <div className="row-actions">
        <label htmlFor={id('role')} className="inline-label">
          Role
        </label>
        <select id={id('role')} className="select" value={u.role} disabled={self || busy} onChange={(e) => void patch({ role: e.target.value as Role }, 'Role changed.')}>
          <option value="user">User</option>
          <option value="admin">Administrator</option>
        </select>
        <button
          type="button"
          className={u.disabled ? 'btn' : 'btn danger-outline'}
          disabled={self || busy}
          onClick={() => void patch({ disabled: !u.disabled }, u.disabled ? `${u.username} can log in again.` : `${u.username} is disabled and was logged out.`)}
        >
          {u.disabled ? `Enable ${u.username}` : `Disable ${u.username}`}
        </button>
      </div>
      {self && <p className="field-hint">You cannot change your own role or disable yourself.</p>}
      <form className="limits-form" onSubmit={saveLimits} noValidate>
        <fieldset>
          <legend>Limits (empty = default, 0 = no limit)</legend>
          <div className="limits-grid">
            {LIMIT_FIELDS.map((f) => (
              <div className="field" key={f.key}>
                <label htmlFor={id(f.key)}>{f.label}</label>
                <input
                  id={id(f.key)}
                  inputMode="numeric"
                  autoComplete="off"
                  placeholder={defaultPlaceholder(u, f.key)}
                  value={limits[f.key]}
                  onChange={(e) => setLimits((l) => ({ ...l, [f.key]: e.target.value }))}
                />
              </div>
            ))}
          </div>
          <button type="submit" className="btn" disabled={busy}>
            Save limits
          </button>
        </fieldset>
      </form>
      <form className="inline-form" onSubmit={resetPassword} noValidate>
        <input type="text" name="username" autoComplete="off" className="visually-hidden" tabIndex={-1} aria-hidden="true" readOnly value={u.username} />
        <div className="field grow">
          <label htmlFor={id('pw')}>New password for {u.username}</label>
          <input id={id('pw')} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <button type="submit" className="btn" disabled={busy}>
          Reset password
        </button>
      </form>
      <div className={msg?.ok ? 'form-ok' : 'form-error'} role={msg?.ok ? 'status' : 'alert'}>
        {msg?.text}
      </div>
    </div>
  );
}

function UserRow({ u, me, onSaved }: { u: AdminUser; me: User; onSaved(u: User): void }) {
  const [open, setOpen] = useState(false);
  const usage = u.usage_today;
  return (
    <li className={`user-card${u.disabled ? ' disabled' : ''}`} data-username={u.username}>
      <div className="user-card-head">
        <div className="user-card-name">
          <span className="user-name">{u.username}</span>
          {u.id === me.id && <span className="badge">you</span>}
          <span className={`badge${u.role === 'admin' ? ' accent' : ''}`}>{u.role === 'admin' ? 'admin' : 'user'}</span>
          {u.disabled && <span className="badge danger">disabled</span>}
        </div>
        <div className="user-card-meta">
          Today: {usage ? `${num(usage.requests)} requests · ${num(usage.tokens)} tokens` : '—'}
          <br />
          Limits: {limitSummary(u)}
        </div>
        <button type="button" className="btn" aria-expanded={open} aria-label={`Manage ${u.username}`} onClick={() => setOpen((o) => !o)}>
          {open ? 'Close' : 'Manage'}
        </button>
      </div>
      {open && <UserEditor u={u} me={me} onSaved={onSaved} />}
    </li>
  );
}

function CreateUser({ onCreated }: { onCreated(u: User): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!username.trim()) return setMsg({ ok: false, text: 'Enter a username.' });
    if (password.length < 8) return setMsg({ ok: false, text: 'The password must have at least 8 characters.' });
    setBusy(true);
    setMsg(null);
    try {
      const u = await adminApi.createUser({ username: username.trim(), password, role });
      onCreated(u);
      setUsername('');
      setPassword('');
      setRole('user');
      setMsg({ ok: true, text: `Created ${u.username}.` });
    } catch (err) {
      setMsg({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="create-h">
      <h2 id="create-h">Create a user</h2>
      <form className="create-user" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="new-username">Username</label>
          <input id="new-username" autoComplete="off" autoCapitalize="none" autoCorrect="off" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-password">Password</label>
          <input id="new-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-role">Role</label>
          <select id="new-role" className="select" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="user">User</option>
            <option value="admin">Administrator</option>
          </select>
        </div>
        <button type="submit" className="btn primary" disabled={busy}>
          Create user
        </button>
      </form>
      <div className={msg?.ok ? 'form-ok' : 'form-error'} role={msg?.ok ? 'status' : 'alert'}>
        {msg?.text}
      </div>
    </section>
  );
}

function UsageTable({ days }: { days: UsageDay[] }) {
  const rows = useMemo(() => [...days].sort((a, b) => (a.day === b.day ? a.username.localeCompare(b.username) : b.day.localeCompare(a.day))), [days]);
  if (rows.length === 0) return <p className="muted">No usage in the last 7 days.</p>;
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Usage per user per day">
      <table className="data-table">
        <thead>
          <tr>
            <th scope="col">Day (UTC)</th>
            <th scope="col">User</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Tokens
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.day}-${r.user_id}`}>
              <td>{r.day}</td>
              <td>{r.username}</td>
              <td className="num">{num(r.requests)}</td>
              <td className="num">{num(r.tokens)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AdminPage({ me }: { me: User }) {
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [usage, setUsage] = useState<UsageDay[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    setError(null);
    adminApi.users().then(
      (r) => setUsers(r.users),
      (e) => setError(errorText(e)),
    );
    adminApi.usage(7).then(
      (r) => setUsage(r.days),
      () => setUsage([]),
    );
  }, []);
  useEffect(load, [load]);

  const onSaved = useCallback((u: User) => {
    setUsers((l) => l?.map((x) => (x.id === u.id ? { ...x, ...u } : x)) ?? l);
  }, []);
  const onCreated = useCallback((u: User) => {
    setUsers((l) => [...(l ?? []), { ...u, usage_today: { tokens: 0, requests: 0 } }]);
  }, []);

  if (me.role !== 'admin')
    return (
      <div className="page-inner">
        <p className="form-error">Only administrators can see this page.</p>
      </div>
    );
  return (
    <div className="page-inner">
      <section className="card" aria-labelledby="users-h">
        <div className="card-head">
          <h2 id="users-h">Users</h2>
          <button type="button" className="btn" onClick={load}>
            Refresh
          </button>
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {users === null ? (
          !error && <p className="muted">Loading…</p>
        ) : (
          <ul className="user-list" aria-label="Users">
            {users.map((u) => (
              <UserRow key={u.id} u={u} me={me} onSaved={onSaved} />
            ))}
          </ul>
        )}
      </section>
      <CreateUser onCreated={onCreated} />
      <section className="card" aria-labelledby="usage7-h">
        <h2 id="usage7-h">Usage, last 7 days</h2>
        {usage === null ? <p className="muted">Loading…</p> : <UsageTable days={usage} />}
      </section>
    </div>
  );
}
