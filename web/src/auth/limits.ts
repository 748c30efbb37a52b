// Retry-After parsing and the friendly texts for the accounts limits (429 answers).

/**
 * Seconds to wait from a Retry-After header value: delta-seconds ("120") or an
 * HTTP date. Null when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value == null) return null;
  const v = value.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v);
  // Otherwise only an HTTP date ("Tue, 24 Nov 2026 12:00:00 GMT"); Date.parse alone takes "-5" as a year.
  if (!/[a-z]{3}/i.test(v)) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.ceil((t - now) / 1000));
}

/** "45 seconds", "1 minute", "4 min 30 s", "3 h 12 min". */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return s === 1 ? '1 second' : `${s} seconds`;
  const m = Math.floor(s / 60);
  const rs = s % 60;
  if (m < 60) {
    if (rs === 0) return m === 1 ? '1 minute' : `${m} minutes`;
    return `${m} min ${rs} s`;
  }
  const h = Math.floor(m / 60);
  const rm = m % 60;
  if (rm === 0) return h === 1 ? '1 hour' : `${h} hours`;
  return `${h} h ${rm} min`;
}

const inWait = (s: number | null) => (s === null ? '' : ` in ${formatWait(s)}`);

/**
 * A message for a limit answer (429) with the wait; null when the code is not a
 * limit this app knows.
 */
export function limitMessage(code: string, retryAfter: number | null): string | null {
  switch (code) {
    case 'rate_limited':
      return `You are sending messages faster than your account allows. You can send again${inWait(retryAfter) || ' in a moment'}.`;
    case 'too_many_generations':
      return `Too many answers are being written for your account at once. Wait for one to finish (or stop it) and try again${inWait(retryAfter)}.`;
    case 'token_budget_exceeded':
      return `You have used today's token budget. It resets at midnight UTC${retryAfter === null ? '' : `, in ${formatWait(retryAfter)}`}.`;
    case 'generation_in_progress':
      return 'An answer is still being written here. Wait for it to finish or stop it, then try again.';
    case 'too_many_login_attempts':
      return `Too many login attempts. Try again${inWait(retryAfter) || ' later'}.`;
    default:
      return null;
  }
}

/** "1,234 of 50,000" or "1,234 (unlimited)". */
export function usageOf(used: number, limit: number): string {
  const f = (n: number) => n.toLocaleString('en-US');
  return limit > 0 ? `${f(used)} of ${f(limit)}` : `${f(used)} (no limit)`;
}
