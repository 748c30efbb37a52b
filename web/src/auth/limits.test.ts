import { formatWait, limitMessage, parseRetryAfter, usageOf } from './limits';

describe('parseRetryAfter', () => {
  it('reads delta seconds', () => {
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter(' 0 ')).toBe(0);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(parseRetryAfter('Tue, 24 Nov 2026 12:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Tue, 24 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('is null for missing or unreadable values', () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('')).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter('-5')).toBeNull();
  });
});

describe('formatWait', () => {
  it.each([
    [0, '0 seconds'],
    [1, '1 second'],
    [45, '45 seconds'],
    [59.2, '1 minute'],
    [60, '1 minute'],
    [270, '4 min 30 s'],
    [600, '10 minutes'],
    [3600, '1 hour'],
    [11520, '3 h 12 min'],
  ])('%s s → %s', (s, text) => expect(formatWait(s)).toBe(text));
});

describe('limitMessage', () => {
  it('names the limit and the wait', () => {
    expect(limitMessage('rate_limited', 42)).toBe('You are sending messages faster than your account allows. You can send again in 42 seconds.');
    expect(limitMessage('too_many_generations', 5)).toContain('try again in 5 seconds');
    expect(limitMessage('token_budget_exceeded', 11520)).toBe("You have used today's token budget. It resets at midnight UTC, in 3 h 12 min.");
    expect(limitMessage('too_many_login_attempts', 270)).toBe('Too many login attempts. Try again in 4 min 30 s.');
  });
  it('still reads well without Retry-After', () => {
    expect(limitMessage('rate_limited', null)).toContain('send again in a moment.');
    expect(limitMessage('token_budget_exceeded', null)).toBe("You have used today's token budget. It resets at midnight UTC.");
  });
  it('is null for other codes', () => {
    expect(limitMessage('body_too_large', 3)).toBeNull();
  });
});

it('usageOf shows the limit or that there is none', () => {
  expect(usageOf(1234, 50000)).toBe('1,234 of 50,000');
  expect(usageOf(7, 0)).toBe('7 (no limit)');
});
