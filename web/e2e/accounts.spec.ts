// Accounts in the browser, against a real server in multi-user mode (started here,
// fresh data dir, stopped by PID): first-admin setup, admin creates users, isolation
// between users, session end keeps the draft, limits (429) shown in the chat, API
// tokens, disabling a user, password reset and change. Phone screenshots (login, admin,
// account, limit notice) go to web/.tmp/screenshots/.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Browser, type Page, type TestInfo } from '@playwright/test';
import { startMultiUserServer, type MultiUserServer } from './accounts-server';
import { conversationId, isMock, lastAssistant, openSidebar, sendPrompt, waitForDone } from './helpers';

test.describe.configure({ mode: 'serial' });
test.skip(isMock || !process.env.E2E_BIN, 'needs the real server (multi-user mode)');

const ADMIN = { name: 'root-admin', pass: 'admin-password-1' };
const ALICE = { name: 'alice', pass: 'alice-password-1' };
const BOB = { name: 'bob', pass: 'bob-password-1' };
const shots = path.resolve(process.cwd(), '.tmp', 'screenshots');

let server: MultiUserServer;

// eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument
test.beforeAll(async ({}, info) => {
  server = await startMultiUserServer(`accounts-${info.project.name}`);
  fs.mkdirSync(shots, { recursive: true });
});
test.afterAll(async () => {
  await server?.stop();
});

async function newPage(browser: Browser, info: TestInfo, scheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const u = info.project.use;
  const context = await browser.newContext({
    baseURL: server.baseURL,
    viewport: u.viewport,
    isMobile: u.isMobile,
    hasTouch: u.hasTouch,
    deviceScaleFactor: u.deviceScaleFactor,
    colorScheme: scheme,
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  return page;
}

async function login(page: Page, who: { name: string; pass: string }): Promise<void> {
  if (!/Log in/.test(await page.title())) await page.goto('/');
  await page.getByLabel('Username').fill(who.name);
  await page.getByLabel('Password').fill(who.pass);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
}

async function userMenu(page: Page, name: string): Promise<void> {
  await openSidebar(page);
  await page.getByRole('button', { name: `Account menu for ${name}` }).click();
}

async function logout(page: Page, name: string): Promise<void> {
  await userMenu(page, name);
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await expect(page.getByText('You are logged out.')).toBeVisible();
}

async function noHorizontalScroll(page: Page): Promise<void> {
  const over = await page.evaluate(() => {
    const els = [document.documentElement, ...document.querySelectorAll<HTMLElement>('.page-scroll, .auth-page')];
    return els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.className || e.tagName);
  });
  expect(over).toEqual([]);
}

async function pickSimulated(page: Page): Promise<void> {
  const picker = page.getByRole('combobox', { name: 'Model' });
  await expect(picker).toBeVisible();
  const values = await picker.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  const sim = values.find((v) => /simulated/i.test(v));
  if (sim) await picker.selectOption(sim);
}

test('first start: the setup page creates the first administrator', async ({ browser }, info) => {
  expect(server.setupToken, `setup link in the server log:\n${server.log()}`).toBeTruthy();
  const page = await newPage(browser, info);
  // Without a session, the app asks for setup first.
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Set up chatstream' })).toBeVisible();
  await page.goto(`/setup?token=${server.setupToken}`);
  await expect(page.getByLabel('Setup token')).toHaveValue(server.setupToken!);
  await page.getByLabel('Administrator username').fill(ADMIN.name);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.pass);
  await page.getByLabel('Repeat the password').fill(ADMIN.pass);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
  expect(new URL(page.url()).search).toBe('');
  await openSidebar(page);
  await expect(page.getByRole('button', { name: `Account menu for ${ADMIN.name}` })).toContainText('Administrator');
  await page.context().close();
});

test('the admin creates users, sees them in the users list, and the admin page fits a phone', async ({ browser }, info) => {
  const page = await newPage(browser, info);
  await page.goto('/');
  await login(page, ADMIN);
  await userMenu(page, ADMIN.name);
  await page.getByRole('link', { name: 'Administration' }).click();
  await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible();
  for (const u of [ALICE, BOB]) {
    await page.getByLabel('Username').fill(u.name);
    await page.getByLabel('Password').fill(u.pass);
    await page.getByRole('button', { name: 'Create user' }).click();
    await expect(page.getByText(`Created ${u.name}.`)).toBeVisible();
  }
  // Creating an existing name is refused with a clear message.
  await page.getByLabel('Username').fill(ALICE.name);
  await page.getByLabel('Password').fill('another-password');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByText('That username is taken.')).toBeVisible();
  await page.getByRole('button', { name: 'Refresh' }).click();
  const users = page.getByRole('list', { name: 'Users' });
  for (const n of [ADMIN.name, ALICE.name, BOB.name]) await expect(users.locator(`[data-username="${n}"]`)).toBeVisible();
  // The admin cannot disable or demote themself.
  await page.getByRole('button', { name: `Manage ${ADMIN.name}` }).click();
  await expect(page.getByRole('button', { name: `Disable ${ADMIN.name}` })).toBeDisabled();
  await page.getByRole('button', { name: `Manage ${ADMIN.name}` }).click();
  await page.getByRole('button', { name: `Manage ${ALICE.name}` }).click();
  await expect(page.getByLabel('Tokens per day')).toHaveAttribute('placeholder', /default/);
  await noHorizontalScroll(page);
  if (info.project.name === 'phone') {
    await page.getByRole('button', { name: `Manage ${ALICE.name}` }).click();
    await page.screenshot({ path: path.join(shots, 'phone-light-admin.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(shots, 'phone-dark-admin.png'), fullPage: true });
  }
  await page.context().close();
});

test('isolation: A chats and logs out, B sees none of it and A’s conversation is not found', async ({ browser }, info) => {
  const page = await newPage(browser, info);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await noHorizontalScroll(page);
  if (info.project.name === 'phone') {
    await page.screenshot({ path: path.join(shots, 'phone-light-login.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(shots, 'phone-dark-login.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  }
  // A wrong password is refused with a clear message.
  await page.getByLabel('Username').fill(ALICE.name);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');

  await login(page, ALICE);
  await pickSimulated(page);
  await sendPrompt(page, 'Alice secret plan: explain SSE briefly');
  await waitForDone(page);
  await expect(lastAssistant(page)).toHaveAttribute('data-status', 'complete');
  const cid = conversationId(page);
  await openSidebar(page);
  await expect(page.getByRole('link', { name: /Alice secret plan/ })).toBeVisible();
  await page.keyboard.press('Escape');
  await logout(page, ALICE.name);

  await login(page, BOB);
  await openSidebar(page);
  await expect(page.getByText('No conversations yet.')).toBeVisible();
  await expect(page.getByText(/Alice secret plan/)).toHaveCount(0);
  await page.keyboard.press('Escape');
  // A's conversation by its URL: not found, back to the list.
  await page.goto(`/#/c/${cid}`);
  await expect(page.getByRole('status').filter({ hasText: 'does not exist' })).toBeVisible();
  await expect.poll(() => new URL(page.url()).hash).toBe('#/');
  await expect(page.getByText(/Alice secret plan/)).toHaveCount(0);
  const r = await page.request.get(`/api/conversations/${cid}`);
  expect(r.status()).toBe(404);
  // …and the same for the conversation list and search over the API.
  const list = await (await page.request.get('/api/conversations?q=Alice')).json();
  expect(list.conversations).toEqual([]);
  await page.context().close();
});

test('a session ended elsewhere sends back to login and keeps the draft', async ({ browser }, info) => {
  const first = await newPage(browser, info);
  await first.goto('/');
  await login(first, ALICE);
  const second = await newPage(browser, info);
  await second.goto('/');
  await login(second, ALICE);
  await userMenu(second, ALICE.name);
  await second.getByRole('link', { name: 'Account settings' }).click();
  await second.getByRole('button', { name: 'Log out other sessions' }).click();
  await expect(second.getByText(/Logged out \d+ other session/)).toBeVisible();

  await sendPrompt(first, 'a draft that must not be lost');
  await expect(first.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await expect(first.getByText(/Your session has ended/)).toBeVisible();
  await login(first, ALICE);
  await expect(first.getByRole('textbox', { name: 'Message' })).toHaveValue('a draft that must not be lost');
  await first.context().close();
  await second.context().close();
});

test('limits: a 429 shows a clear message with the wait in the chat, and API tokens work once shown', async ({ browser }, info) => {
  const admin = await newPage(browser, info);
  await admin.goto('/');
  await login(admin, ADMIN);
  await admin.goto('/#/admin');
  await admin.getByRole('button', { name: `Manage ${ALICE.name}` }).click();
  await admin.getByLabel('Requests per minute').fill('1');
  await admin.getByRole('button', { name: 'Save limits' }).click();
  await expect(admin.getByText('Limits saved.')).toBeVisible();

  const page = await newPage(browser, info);
  await page.goto('/');
  await login(page, ALICE);
  await pickSimulated(page);
  const notice = page.locator('.limit-notice');
  for (let i = 0; i < 3 && !(await notice.isVisible()); i++) {
    await sendPrompt(page, `limit probe ${i}`);
    await expect(lastAssistant(page).or(notice).first()).toBeVisible();
    if (await notice.isVisible()) break;
    await waitForDone(page);
  }
  await expect(notice).toBeVisible();
  await expect(notice).toContainText(/faster than your account allows\. You can send again in \d+ (seconds?|minutes?|min \d+ s)\./);
  // The message that was not sent is back in the composer.
  await expect(page.getByRole('textbox', { name: 'Message' })).toHaveValue(/limit probe/);
  if (info.project.name === 'phone') await page.screenshot({ path: path.join(shots, 'phone-light-limit.png') });

  // Limits back to the default.
  await admin.getByLabel('Requests per minute').fill('');
  await admin.getByRole('button', { name: 'Save limits' }).click();
  await expect(admin.getByText('Limits saved.')).toBeVisible();

  // API tokens: created, shown once, usable on /v1, revoked.
  await userMenu(page, ALICE.name);
  await page.getByRole('link', { name: 'API tokens' }).click();
  await page.getByLabel('Name of a new token').fill('e2e script');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.getByTestId('token-secret').innerText()).trim();
  expect(secret).toMatch(/^cs_/);
  await expect(page.getByRole('button', { name: 'Copy' })).toBeVisible();
  const models = await fetch(`${server.baseURL}/v1/models`, { headers: { Authorization: `Bearer ${secret}` } });
  expect(models.status).toBe(200);
  await page.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByTestId('token-secret')).toHaveCount(0);
  await page.reload();
  const tokens = page.getByRole('list', { name: 'Your API tokens' });
  await expect(tokens).toContainText('e2e script');
  await expect(tokens).not.toContainText(secret);
  await page.getByRole('button', { name: 'Revoke token e2e script' }).click();
  await page.getByRole('button', { name: 'Revoke', exact: true }).click();
  await expect(page.getByText('No tokens yet.')).toBeVisible();
  const after = await fetch(`${server.baseURL}/v1/models`, { headers: { Authorization: `Bearer ${secret}` } });
  expect(after.status).toBe(401);
  await noHorizontalScroll(page);
  await admin.context().close();
  await page.context().close();
});

test('the admin disables a user: their session ends at once and they cannot log in', async ({ browser }, info) => {
  const bob = await newPage(browser, info);
  await bob.goto('/');
  await login(bob, BOB);
  const admin = await newPage(browser, info);
  await admin.goto('/');
  await login(admin, ADMIN);
  await admin.goto('/#/admin');
  await admin.getByRole('button', { name: `Manage ${BOB.name}` }).click();
  await admin.getByRole('button', { name: `Disable ${BOB.name}` }).click();
  await expect(admin.getByText(`${BOB.name} is disabled and was logged out.`)).toBeVisible();
  await expect(admin.locator(`[data-username="${BOB.name}"]`)).toContainText('disabled');

  await bob.reload();
  await expect(bob.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await bob.getByLabel('Username').fill(BOB.name);
  await bob.getByLabel('Password').fill(BOB.pass);
  await bob.getByRole('button', { name: 'Log in' }).click();
  await expect(bob.getByRole('alert')).not.toBeEmpty();
  await expect(bob.getByRole('heading', { name: 'Log in' })).toBeVisible();

  // Enabled again with a password reset by the admin, Bob logs in with the new password…
  await admin.getByRole('button', { name: `Enable ${BOB.name}` }).click();
  await expect(admin.getByText(`${BOB.name} can log in again.`)).toBeVisible();
  const reset = 'reset-by-admin-1';
  await admin.getByLabel(`New password for ${BOB.name}`).fill(reset);
  await admin.getByRole('button', { name: 'Reset password' }).click();
  await expect(admin.getByText(`Password of ${BOB.name} changed.`)).toBeVisible();
  await bob.getByLabel('Password').fill(BOB.pass);
  await bob.getByRole('button', { name: 'Log in' }).click();
  await expect(bob.getByRole('alert')).toHaveText('Wrong username or password.');
  await login(bob, { name: BOB.name, pass: reset });
  // …and changes it himself in the account settings (the current one must be right).
  await userMenu(bob, BOB.name);
  await bob.getByRole('link', { name: 'Account settings' }).click();
  await expect(bob.getByRole('heading', { name: 'Usage today' })).toBeVisible();
  await bob.getByLabel('Current password').fill('not-my-password');
  await bob.getByLabel('New password', { exact: true }).fill(BOB.pass);
  await bob.getByLabel('Repeat the new password').fill(BOB.pass);
  await bob.getByRole('button', { name: 'Change password' }).click();
  await expect(bob.getByText('The current password is wrong.')).toBeVisible();
  await bob.getByLabel('Current password').fill(reset);
  await bob.getByRole('button', { name: 'Change password' }).click();
  await expect(bob.getByText('Password changed. Your other sessions were logged out.')).toBeVisible();
  await noHorizontalScroll(bob);
  if (info.project.name === 'phone') await bob.screenshot({ path: path.join(shots, 'phone-light-account.png') });
  await logout(bob, BOB.name);
  await login(bob, BOB);
  await admin.context().close();
  await bob.context().close();
});
