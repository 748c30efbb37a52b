// Product screenshots (phone and desktop, light and dark, mid-stream and finished).
// Run with: SCREENSHOTS=1 npm run e2e -- screenshots
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { lastAssistant, openApp, sendPrompt, waitForDone } from './helpers';

const outDir = path.resolve(process.cwd(), '..', 'docs', 'screenshots');
const PROMPT = process.env.SCREENSHOT_PROMPT ?? 'Show me what Markdown you can render';

for (const scheme of ['light', 'dark'] as const) {
  test(`screenshots ${scheme}`, async ({ page }, info) => {
    test.skip(process.env.SCREENSHOTS !== '1', 'set SCREENSHOTS=1');
    const device = info.project.name;
    await page.emulateMedia({ colorScheme: scheme });
    await openApp(page);
    await sendPrompt(page, PROMPT);
    const msg = lastAssistant(page);
    await expect(msg.locator('.code-block, .table-wrap').first()).toBeVisible({ timeout: 40_000 });
    await page.waitForTimeout(700);
    if ((await msg.getAttribute('data-status')) === 'streaming')
      await page.screenshot({ path: path.join(outDir, `${device}-${scheme}-streaming.png`) });
    await waitForDone(page);
    await page.waitForTimeout(300);
    // Finished: the view rests at the bottom of the answer.
    await page.locator('.scroller').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(outDir, `${device}-${scheme}-finished.png`) });
    if (device === 'phone' && scheme === 'light') {
      await page.getByRole('button', { name: 'Open conversation list' }).click();
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(outDir, `phone-${scheme}-drawer.png`) });
    }
  });
}
