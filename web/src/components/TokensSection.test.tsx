import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { authApi } from '../api/client';
import { TokensSection } from './AccountPage';

const listed = { id: 't1', name: 'old script', prefix: 'cs_ab12', created_at: '2026-11-20T10:00:00.000Z', last_used_at: null };

afterEach(() => vi.restoreAllMocks());

describe('API tokens', () => {
  it('shows a new secret once with a copy button, then only the prefix', async () => {
    vi.spyOn(authApi, 'tokens').mockResolvedValue({ tokens: [listed] });
    const create = vi.spyOn(authApi, 'createToken').mockResolvedValue({
      id: 't2',
      name: 'laptop',
      prefix: 'cs_9f3k',
      created_at: '2026-11-24T12:00:00.000Z',
      last_used_at: null,
      token: 'cs_9f3kSECRETSECRETSECRET',
    });
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<TokensSection />);
    expect(await screen.findByText('old script')).toBeTruthy();
    expect(screen.getByText(/never/)).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Name of a new token'), { target: { value: 'laptop' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    await waitFor(() => expect(create).toHaveBeenCalledWith('laptop'));
    const secret = await screen.findByTestId('token-secret');
    expect(secret.textContent).toBe('cs_9f3kSECRETSECRETSECRET');
    expect(screen.getByText(/will not be shown again/)).toBeTruthy();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Copy' })));
    expect(writeText).toHaveBeenCalledWith('cs_9f3kSECRETSECRETSECRET');
    expect(screen.getByRole('button', { name: 'Copied' })).toBeTruthy();

    // The list shows the new token by name and prefix only.
    const list = screen.getByRole('list', { name: 'Your API tokens' });
    expect(within(list).getByText('laptop')).toBeTruthy();
    expect(within(list).getByText('cs_9f3k…')).toBeTruthy();
    expect(list.textContent).not.toContain('SECRET');

    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('token-secret')).toBeNull();
    expect(document.body.textContent).not.toContain('SECRET');
  });

  it('revokes only after a confirmation', async () => {
    vi.spyOn(authApi, 'tokens').mockResolvedValue({ tokens: [listed] });
    const revoke = vi.spyOn(authApi, 'revokeToken').mockResolvedValue(undefined);
    render(<TokensSection />);
    fireEvent.click(await screen.findByRole('button', { name: 'Revoke token old script' }));
    expect(revoke).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    fireEvent.click(screen.getByRole('button', { name: 'Revoke token old script' }));
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Revoke' })));
    expect(revoke).toHaveBeenCalledWith('t1');
    expect(screen.queryByText('old script')).toBeNull();
    expect(screen.getByText('No tokens yet.')).toBeTruthy();
  });
});
