// The app's authentication state machine (pure; Root.tsx drives it).
import type { AuthState, User } from '../api/types';

export type Auth =
  | { status: 'loading' }
  | { status: 'unavailable'; message: string }
  | { status: 'single-user'; user: User }
  | { status: 'setup' }
  | { status: 'login'; notice: string | null }
  | { status: 'signed-in'; user: User };

export type AuthEvent =
  | { type: 'state'; state: AuthState }
  /** The server has no accounts routes (older server): behave as single-user. */
  | { type: 'state-missing' }
  | { type: 'state-failed'; message: string }
  | { type: 'retry' }
  | { type: 'logged-in'; user: User }
  | { type: 'logged-out' }
  /** Any API answer 401 `unauthenticated` (expired, logged out elsewhere, disabled). */
  | { type: 'unauthenticated' }
  | { type: 'user-updated'; user: User };

export const initialAuth: Auth = { status: 'loading' };

export const LOCAL_USER: User = { id: 'local', username: 'local', role: 'admin', disabled: false };

export const SESSION_ENDED = 'Your session has ended. Log in again to continue.';
export const LOGGED_OUT = 'You are logged out.';

export function authReducer(s: Auth, e: AuthEvent): Auth {
  switch (e.type) {
    case 'state': {
      const st = e.state;
      if (st.mode !== 'multi-user') return { status: 'single-user', user: st.user ?? LOCAL_USER };
      if (st.setup_required) return { status: 'setup' };
      if (st.user) return { status: 'signed-in', user: st.user };
      return { status: 'login', notice: null };
    }
    case 'state-missing':
      return { status: 'single-user', user: LOCAL_USER };
    case 'state-failed':
      return { status: 'unavailable', message: e.message };
    case 'retry':
      return { status: 'loading' };
    case 'logged-in':
      return s.status === 'single-user' ? s : { status: 'signed-in', user: e.user };
    case 'logged-out':
      return s.status === 'signed-in' ? { status: 'login', notice: LOGGED_OUT } : s;
    case 'unauthenticated':
      // Only a signed-in session can end; on the login/setup pages a 401 is expected.
      return s.status === 'signed-in' ? { status: 'login', notice: SESSION_ENDED } : s;
    case 'user-updated':
      return (s.status === 'signed-in' || s.status === 'single-user') && s.user.id === e.user.id ? { ...s, user: e.user } : s;
  }
}

/** The user the chat runs as, or null while the chat must not be shown. */
export function chatUser(s: Auth): User | null {
  return s.status === 'signed-in' || s.status === 'single-user' ? s.user : null;
}

/** sessionStorage key of the composer draft (per user, so a draft never shows up for someone else). */
export const draftKey = (userId: string) => `chatstream.draft.${userId}`;
