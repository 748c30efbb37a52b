import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { adminApi } from '../api/client';
import type { AdminUser } from '../api/types';
import { AdminPage, limitInput, parseLimit } from './AdminPage';

describe('limit fields', () => {
  it('empty is the default, 0 is no limit, the rest whole numbers', () => {
    expect(parseLimit('')).toEqual({ value: null });
    expect(parseLimit('  ')).toEqual({ value: null });
    expect(parseLimit('0')).toEqual({ value: 0 });
    expect(parseLimit(' 25 ')).toEqual({ value: 25 });
    expect(parseLimit('-1')).toHaveProperty('error');
    expect(parseLimit('2.5')).toHaveProperty('error');
    expect(parseLimit('lots')).toHaveProperty('error');
    expect(limitInput(null)).toBe('');
    expect(limitInput(0)).toBe('0');
  });
});

const admin: AdminUser = {
  id: 'a1',
  username: 'root',
  role: 'admin',
  disabled: false,
  limits: { max_concurrent: null, requests_per_minute: null, tokens_per_day: null },
  effective_limits: { max_concurrent: 3, requests_per_minute: 20, tokens_per_day: 0 },
  usage_today: { tokens: 10, requests: 1 },
};
const carol: AdminUser = { ...admin, id: 'c1', username: 'carol', role: 'user', limits: { ...admin.limits!, tokens_per_day: 5000 } };

afterEach(() => vi.restoreAllMocks());

describe('AdminPage', () => {
  it('shows defaults as placeholders, saves limits (empty = null) and cannot disable yourself', async () => {
    vi.spyOn(adminApi, 'users').mockResolvedValue({ users: [admin, carol] });
    vi.spyOn(adminApi, 'usage').mockResolvedValue({ days: [{ day: '2026-11-24', user_id: 'c1', username: 'carol', tokens: 1234, requests: 5 }] });
    const update = vi.spyOn(adminApi, 'updateUser').mockImplementation(async (id, body) => ({ ...carol, id, limits: { ...carol.limits!, ...body.limits } }));
    render(<AdminPage me={admin} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Manage root' }));
    expect((screen.getByRole('button', { name: 'Disable root' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Manage root' }));

    fireEvent.click(screen.getByRole('button', { name: 'Manage carol' }));
    const rpm = screen.getByLabelText('Requests per minute') as HTMLInputElement;
    expect(rpm.value).toBe('');
    expect(rpm.placeholder).toBe('default: 20');
    expect((screen.getByLabelText('Tokens per day') as HTMLInputElement).value).toBe('5000');
    fireEvent.change(rpm, { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(await screen.findByText(/Requests per minute: Use a whole number/)).toBeTruthy();
    expect(update).not.toHaveBeenCalled();

    fireEvent.change(rpm, { target: { value: '0' } });
    fireEvent.change(screen.getByLabelText('Tokens per day'), { target: { value: '' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save limits' })));
    expect(update).toHaveBeenCalledWith('c1', { limits: { requests_per_minute: 0, max_concurrent: null, tokens_per_day: null } });
    expect(screen.getByText('Limits saved.')).toBeTruthy();

    const table = screen.getByRole('table');
    expect(within(table).getByText('1,234')).toBeTruthy();
  });
});
