import { ApiError, api, authApi, setUnauthenticatedHandler } from './client';

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return vi.fn(async () => new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } }));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('api client', () => {
  it('a 401 unauthenticated answer calls the handler and throws', async () => {
    vi.stubGlobal('fetch', answer(401, { error: { message: 'no session', type: 'authentication_error', code: 'unauthenticated' } }));
    const seen: ApiError[] = [];
    const off = setUnauthenticatedHandler((e) => seen.push(e));
    await expect(api.listConversations()).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(seen).toHaveLength(1);
    off();
    await expect(api.listConversations()).rejects.toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(1);
  });

  it('a wrong password (401 invalid_credentials) does not end the session', async () => {
    vi.stubGlobal('fetch', answer(401, { error: { message: 'wrong', type: 'authentication_error', code: 'invalid_credentials' } }));
    const handler = vi.fn();
    const off = setUnauthenticatedHandler(handler);
    await expect(authApi.login({ username: 'a', password: 'b' })).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(handler).not.toHaveBeenCalled();
    off();
  });

  it('429 carries Retry-After in seconds', async () => {
    vi.stubGlobal('fetch', answer(429, { error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limited' } }, { 'Retry-After': '17' }));
    const e = await api.sendMessage('c1', { content: 'hi' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).retryAfter).toBe(17);
    expect((e as ApiError).code).toBe('rate_limited');
  });

  it('204 answers resolve to undefined and requests are JSON', async () => {
    const f = answer(204, null);
    vi.stubGlobal('fetch', f);
    await expect(authApi.revokeToken('t/1')).resolves.toBeUndefined();
    expect(f).toHaveBeenCalledWith('/api/auth/tokens/t%2F1', expect.objectContaining({ method: 'DELETE' }));
  });
});
