// Authentication gate: asks the server which mode it runs in and shows the
// setup page, the login page or the chat app.
import { useCallback, useEffect, useReducer } from 'react';
import App from './App';
import { ApiError, authApi, setUnauthenticatedHandler } from './api/client';
import type { User } from './api/types';
import { LoginPage, SetupPage } from './components/LoginPage';
import { authReducer, draftKey, initialAuth } from './auth/state';

export default function Root() {
  const [auth, dispatch] = useReducer(authReducer, initialAuth);

  useEffect(() => setUnauthenticatedHandler(() => dispatch({ type: 'unauthenticated' })), []);

  useEffect(() => {
    if (auth.status !== 'loading') return;
    let cancelled = false;
    authApi.state().then(
      (state) => !cancelled && dispatch({ type: 'state', state }),
      (e) => {
        if (cancelled) return;
        // A server without the accounts routes is a single-user server.
        if (e instanceof ApiError && (e.status === 404 || e.status === 405)) dispatch({ type: 'state-missing' });
        else dispatch({ type: 'state-failed', message: e instanceof ApiError && e.unreachable ? 'Cannot reach the server.' : String(e?.message ?? e) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [auth.status]);

  const onSignedIn = useCallback((user: User) => {
    // The setup link carries the token in the query: drop it from the address bar.
    if (window.location.search || window.location.pathname !== '/') window.history.replaceState(null, '', `/${window.location.hash}`);
    dispatch({ type: 'logged-in', user });
  }, []);

  const logout = useCallback(async (user: User) => {
    try {
      await authApi.logout();
    } catch {
      // Logged out already (401) or unreachable: the local state ends anyway.
    }
    sessionStorage.removeItem(draftKey(user.id));
    window.location.hash = '#/';
    dispatch({ type: 'logged-out' });
  }, []);

  switch (auth.status) {
    case 'loading':
      return <div className="auth-page" aria-busy="true" aria-label="Loading" />;
    case 'unavailable':
      return (
        <main className="auth-page">
          <div className="auth-card" role="alert">
            <h1>chatstream</h1>
            <p>{auth.message}</p>
            <button type="button" className="btn primary" onClick={() => dispatch({ type: 'retry' })}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'setup':
      return <SetupPage onDone={onSignedIn} />;
    case 'login':
      return <LoginPage notice={auth.notice} onDone={onSignedIn} />;
    case 'single-user':
      return <App key="local" />;
    case 'signed-in':
      return (
        <App
          key={auth.user.id}
          account={{
            user: auth.user,
            onLogout: () => void logout(auth.user),
            onUserUpdated: (user) => dispatch({ type: 'user-updated', user }),
          }}
        />
      );
  }
}
