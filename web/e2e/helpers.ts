import { expect, type Page } from '@playwright/test';

export const isMock = process.env.E2E_MOCK === '1';

export const lastAssistant = (page: Page) => page.locator('article[data-role="assistant"]').last();

/** Opens the app on a fresh "new chat" screen. */
export async function openApp(page: Page, model: string | RegExp = /simulated/i): Promise<void> {
  await page.goto('/');
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
  // Pick the model for new chats (the simulated one unless told otherwise).
  const picker = page.getByRole('combobox', { name: 'Model' });
  await expect(picker).toBeVisible();
  const values = await picker.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  const want = values.find((v) => (typeof model === 'string' ? v.includes(model) : model.test(v)));
  if (want) await picker.selectOption(want);
}

/** Types a prompt and sends it with Enter. */
export async function sendPrompt(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.click();
  await box.fill(text);
  await box.press('Enter');
}

export async function waitForDone(page: Page, timeout = 45_000): Promise<void> {
  await expect(lastAssistant(page)).not.toHaveAttribute('data-status', 'streaming', { timeout });
}

/** Id of the open conversation, from the URL. */
export function conversationId(page: Page): string {
  const m = /#\/c\/([A-Za-z0-9_-]+)/.exec(page.url());
  if (!m) throw new Error(`no conversation in ${page.url()}`);
  return m[1];
}

/** Visible text of the last assistant message's Markdown. */
export async function shownText(page: Page): Promise<string> {
  return (await lastAssistant(page).locator('.markdown').innerText()).trim();
}

/** Samples the length of the last assistant message text on every animation frame for `ms`. */
export async function sampleGrowth(page: Page, ms: number): Promise<number[]> {
  return page.evaluate(
    (dur) =>
      new Promise<number[]>((resolve) => {
        const out: number[] = [];
        const start = performance.now();
        const frame = () => {
          const els = document.querySelectorAll('article[data-role="assistant"]');
          const el = els[els.length - 1];
          out.push(el ? (el.textContent ?? '').length : 0);
          if (performance.now() - start < dur) requestAnimationFrame(frame);
          else resolve(out);
        };
        requestAnimationFrame(frame);
      }),
    ms,
  );
}

export async function savedMessage(page: Page, cid: string, mid: string) {
  const r = await page.request.get(`/api/conversations/${cid}`);
  expect(r.ok()).toBe(true);
  const c = await r.json();
  return c.messages.find((m: { id: string }) => m.id === mid);
}

/** On phones the conversation list is a drawer behind the menu button. */
export async function openSidebar(page: Page): Promise<void> {
  const menu = page.getByRole('button', { name: 'Open conversation list' });
  if (await menu.isVisible()) await menu.click();
}
