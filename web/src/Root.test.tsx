import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { api } from './api/client';
import type { AccountProps } from './App';
import Root from './Root';

// The chat itself is not under test here: a stand-in that makes one API call on demand.
vi.mock('./App', () => ({
  default: ({ account }: { account?: AccountProps }) => (
    <div>
      <p>chat for {account ? account.user.username : 'single user'}</p>
      <button type="button" onClick={() => void api.listConversations().catch(() => {})}>
        load
      </button>
      {account && (
        <button type="button" onClick={account.onLogout}>
          log out
        </button>
      )}
    </div>
  ),
}));

type Handler = (init?: RequestInit) => { status: number; body?: unknown; headers?: Record<string, string> };

function serve(routes: Record<string, Handler>) {
  const f = vi.fn(async (url: string, init?: RequestInit) => {
    const key = `${init?.method ?? 'GET'} ${url.split('?')[0]}`;
    const h = routes[key];
    const r = h ? h(init) : { status: 404, body: { error: { message: 'nope', code: 'not_found' } } };
    return new Response(r.body === undefined ? null : JSON.stringify(r.body), {
      status: r.status,
      headers: { 'Content-Type': 'application/json', ...r.headers },
    });
  });
  vi.stubGlobal('fetch', f);
  return f;
}

const alice = { id: 'u1', username: 'alice', role: 'user', disabled: false };
const unauth = { status: 401, body: { error: { message: 'no session', code: 'unauthenticated' } } };

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('Root (auth gate)', () => {
  it('single-user mode shows the chat without any login', async () => {
    serve({ 'GET /api/auth/state': () => ({ status: 200, body: { mode: 'single-user', user: { ...alice, id: 'local' }, setup_required: false } }) });
    render(<Root />);
    expect(await screen.findByText('chat for single user')).toBeTruthy();
  });

  it('an older server without the accounts routes is single-user', async () => {
    serve({});
    render(<Root />);
    expect(await screen.findByText('chat for single user')).toBeTruthy();
  });

  it('setup required → the setup page, with the token from the link', async () => {
    window.history.replaceState(null, '', '/setup?token=abc123');
    serve({ 'GET /api/auth/state': () => ({ status: 200, body: { mode: 'multi-user', user: null, setup_required: true } }) });
    render(<Root />);
    expect(await screen.findByRole('heading', { name: 'Set up chatstream' })).toBeTruthy();
    expect((screen.getByLabelText('Setup token') as HTMLInputElement).value).toBe('abc123');
    window.history.replaceState(null, '', '/');
  });

  it('login, a 401 later sends back to login with a notice, logout ends the session', async () => {
    let signedIn = false;
    const fetchMock = serve({
      'GET /api/auth/state': () => ({ status: 200, body: { mode: 'multi-user', user: null, setup_required: false } }),
      'POST /api/auth/login': (init) => {
        const b = JSON.parse(String(init?.body));
        if (b.password !== 'correct horse') return { status: 401, body: { error: { message: 'bad', code: 'invalid_credentials' } } };
        signedIn = true;
        return { status: 200, body: { user: alice } };
      },
      'GET /api/conversations': () => (signedIn ? { status: 200, body: { conversations: [], next_before: null } } : unauth),
      'POST /api/auth/logout': () => ({ status: 204 }),
    });
    render(<Root />);
    const user = await screen.findByLabelText('Username');
    expect(user.getAttribute('autocomplete')).toBe('username');
    expect(screen.getByLabelText('Password').getAttribute('autocomplete')).toBe('current-password');

    fireEvent.change(user, { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByText('Wrong username or password.')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByText('chat for alice')).toBeTruthy();

    // The session ends on the server (expired, disabled…): the next API answer is 401.
    signedIn = false;
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'load' })));
    expect(await screen.findByText(/Your session has ended/)).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByText('chat for alice')).toBeTruthy();

    sessionStorage.setItem('chatstream.draft.u1', 'half-written');
    fireEvent.click(screen.getByRole('button', { name: 'log out' }));
    expect(await screen.findByText('You are logged out.')).toBeTruthy();
    expect(fetchMock).toHaveBeenCalledWith('/api/auth/logout', expect.objectContaining({ method: 'POST' }));
    expect(sessionStorage.getItem('chatstream.draft.u1')).toBeNull();
  });

  it('a login lockout (429) shows the wait and blocks the button', async () => {
    serve({
      'GET /api/auth/state': () => ({ status: 200, body: { mode: 'multi-user', user: null, setup_required: false } }),
      'POST /api/auth/login': () => ({
        status: 429,
        body: { error: { message: 'locked', code: 'too_many_login_attempts' } },
        headers: { 'Retry-After': '270' },
      }),
    });
    render(<Root />);
    fireEvent.change(await screen.findByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'whatever1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByText('Too many login attempts. Try again in 4 min 30 s.')).toBeTruthy();
    await waitFor(() => expect((screen.getByRole('button', { name: 'Log in' }) as HTMLButtonElement).disabled).toBe(true));
  });
});
