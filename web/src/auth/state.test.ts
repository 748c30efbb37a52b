import type { User } from '../api/types';
import { authReducer, chatUser, initialAuth, LOCAL_USER, LOGGED_OUT, SESSION_ENDED, type Auth } from './state';

const alice: User = { id: 'u1', username: 'alice', role: 'user', disabled: false };
const bob: User = { id: 'u2', username: 'bob', role: 'admin', disabled: false };
const signedIn: Auth = { status: 'signed-in', user: alice };

describe('authReducer', () => {
  it('single-user mode is the plain app with the local user', () => {
    const s = authReducer(initialAuth, {
      type: 'state',
      state: { mode: 'single-user', user: { ...LOCAL_USER, username: 'local' }, setup_required: false },
    });
    expect(s.status).toBe('single-user');
    expect(chatUser(s)?.id).toBe('local');
    expect(authReducer(initialAuth, { type: 'state-missing' })).toEqual({ status: 'single-user', user: LOCAL_USER });
  });

  it('multi-user mode: setup, login or signed in', () => {
    expect(authReducer(initialAuth, { type: 'state', state: { mode: 'multi-user', user: null, setup_required: true } })).toEqual({ status: 'setup' });
    expect(authReducer(initialAuth, { type: 'state', state: { mode: 'multi-user', user: null, setup_required: false } })).toEqual({
      status: 'login',
      notice: null,
    });
    expect(authReducer(initialAuth, { type: 'state', state: { mode: 'multi-user', user: alice, setup_required: false } })).toEqual(signedIn);
  });

  it('login and setup sign in; logout goes back to the login page', () => {
    const login: Auth = { status: 'login', notice: null };
    expect(authReducer(login, { type: 'logged-in', user: alice })).toEqual(signedIn);
    expect(authReducer({ status: 'setup' }, { type: 'logged-in', user: bob })).toEqual({ status: 'signed-in', user: bob });
    expect(authReducer(signedIn, { type: 'logged-out' })).toEqual({ status: 'login', notice: LOGGED_OUT });
  });

  it('a 401 while signed in ends the session with a notice; elsewhere it changes nothing', () => {
    expect(authReducer(signedIn, { type: 'unauthenticated' })).toEqual({ status: 'login', notice: SESSION_ENDED });
    const login: Auth = { status: 'login', notice: null };
    expect(authReducer(login, { type: 'unauthenticated' })).toBe(login);
    const single: Auth = { status: 'single-user', user: LOCAL_USER };
    expect(authReducer(single, { type: 'unauthenticated' })).toBe(single);
    expect(authReducer(single, { type: 'logged-in', user: alice })).toBe(single);
  });

  it('unreachable server, then retry', () => {
    const s = authReducer(initialAuth, { type: 'state-failed', message: 'down' });
    expect(s).toEqual({ status: 'unavailable', message: 'down' });
    expect(authReducer(s, { type: 'retry' })).toEqual({ status: 'loading' });
  });

  it('user updates apply only to the same user', () => {
    const renamed = { ...alice, role: 'admin' as const };
    expect(authReducer(signedIn, { type: 'user-updated', user: renamed })).toEqual({ status: 'signed-in', user: renamed });
    expect(authReducer(signedIn, { type: 'user-updated', user: bob })).toBe(signedIn);
  });

  it('chatUser is null unless the chat may be shown', () => {
    expect(chatUser({ status: 'login', notice: null })).toBeNull();
    expect(chatUser({ status: 'setup' })).toBeNull();
    expect(chatUser(initialAuth)).toBeNull();
    expect(chatUser(signedIn)).toBe(alice);
  });
});
