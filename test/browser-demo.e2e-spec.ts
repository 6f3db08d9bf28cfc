import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApp, type TestApp } from './support/app';
import { uniqueUsername } from './support/clients';

/**
 * The demo page at / (built from @realtime-backend/client by `npm run build`) driven in headless
 * Chromium: two browser contexts (two people) sign up, see each other online, chat directly and
 * in a room, see typing and unread counts, and see who else has a modal open, with each viewer's
 * status; a reload keeps the server's status; offline people can be found; at 390 px (a phone)
 * the chat pane fits; messages are edited, deleted, reacted to, replied to and searched; the page
 * refreshes its tokens and logs out. Screenshots go to test/artifacts/ (gitignored).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, 'artifacts');
const available = existsSync(CHROMIUM);
if (!available) {
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)`);
  console.warn(`browser-demo: ${CHROMIUM} not found, skipping the browser test (apt-get install -y chromium)`);
}
const describeBrowser = available ? describe : describe.skip;

const WAIT = { timeout: 20_000 };
/** What a function run in the page reads (the project's types have no DOM lib). */
type BrowserWindow = { sessionStorage: { getItem(key: string): string | null } };

describeBrowser('demo page in Chromium', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startApp();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const DESKTOP = { width: 1100, height: 700 };
  const PHONE = { width: 390, height: 844 };

  async function signUp(username: string, viewport = DESKTOP): Promise<Page> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && problems.push(`${msg.text()} ${msg.location().url}`));
    (page as Page & { problems?: string[] }).problems = problems;
    await page.goto(app.url, { waitUntil: 'load' });
    await page.fill('#username', username);
    await page.fill('#password', 'correct horse battery');
    await page.click('#signup');
    await page.waitForSelector('#app:not([hidden])', WAIT);
    await page.waitForSelector('#conn.up', WAIT);
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `demo-${name}.png`) });

  it('two people chat, see presence, typing, unread counts, rooms and who has a modal open', async () => {
    const aliceName = uniqueUsername('alice');
    const bobName = uniqueUsername('bob');
    const alice = await signUp(aliceName);
    await shot(alice, '1-alice-alone');
    const bob = await signUp(bobName);

    // Presence: each sees the other online.
    await alice.waitForSelector(`#people li[data-user="${bobName}"]`, WAIT);
    await bob.waitForSelector(`#people li[data-user="${aliceName}"]`, WAIT);

    // Bob sets a status; Alice sees it.
    await bob.selectOption('#me-status', 'busy');
    await alice.waitForSelector(`#people li[data-user="${bobName}"] .dot.busy`, WAIT);

    // A direct message: Alice writes while Bob is elsewhere, Bob gets an unread count.
    await alice.click(`#people li[data-user="${bobName}"]`);
    await alice.fill('#message-input', 'Hi Bob! Got a minute?');
    await alice.click('#send');
    await alice.waitForSelector('#messages .msg.mine >> text=Hi Bob! Got a minute?', WAIT);
    await bob.waitForSelector(`#conversations li[data-conversation="${aliceName}"] .badge[data-unread="1"]`, WAIT);
    await shot(bob, '2-bob-unread');

    // Bob opens it (the count clears) and types; Alice sees the typing indicator.
    await bob.click(`#conversations li[data-conversation="${aliceName}"]`);
    await bob.waitForSelector('#messages .msg >> text=Hi Bob! Got a minute?', WAIT);
    await bob.waitForSelector(`#conversations li[data-conversation="${aliceName}"]:not(:has(.badge))`, WAIT);
    await bob.type('#message-input', 'Sure', { delay: 20 });
    await alice.waitForSelector(`#typing >> text=${bobName} is typing`, WAIT);
    await shot(alice, '3-alice-sees-typing');
    await bob.type('#message-input', ', what is up?');
    await bob.click('#send');
    await alice.waitForSelector('#messages .msg:not(.mine) >> text=Sure, what is up?', WAIT);
    await alice.waitForFunction("document.getElementById('typing').textContent === ''", undefined, WAIT);

    // A room: Alice creates it, Bob finds it among public rooms, joins and writes.
    await alice.fill('#room-name', 'launch-plan');
    await alice.click('#room-form button');
    await alice.waitForSelector('#chat-title >> text=# launch-plan', WAIT);
    await bob.click('#refresh-rooms');
    await bob.click('#public-rooms li[data-room="launch-plan"]', WAIT);
    await bob.waitForSelector('#chat-title >> text=# launch-plan', WAIT);
    await bob.fill('#message-input', 'Joined. Shipping Friday?');
    await bob.click('#send');
    await alice.waitForSelector('#messages .msg >> text=Joined. Shipping Friday?', WAIT);
    await shot(alice, '4-alice-room');

    // The details modal: Alice opens it, then Bob; each sees the other listed, live (the page
    // watches the dialog it shows: since 0.2 modal events reach only sockets that watch the modal).
    await alice.click('#open-details');
    await alice.waitForSelector('#modal:not([hidden])', WAIT);
    await bob.click('#open-details');
    await bob.waitForSelector(`#modal-viewers li[data-viewer="${aliceName}"]`, WAIT);
    await alice.waitForSelector(`#modal-viewers li[data-viewer="${bobName}"]`, WAIT);
    await shot(alice, '5-alice-modal-with-bob');
    // Each viewer's dot is their status: Bob is busy.
    await alice.waitForSelector(`#modal-viewers li[data-viewer="${bobName}"] .dot.busy`, WAIT);
    await bob.selectOption('#me-status', 'away');
    await alice.waitForSelector(`#modal-viewers li[data-viewer="${bobName}"] .dot.away`, WAIT);
    await bob.click('#close-details');

    // A reload resumes the session and shows the status the server has (away), not "Online".
    await bob.reload({ waitUntil: 'load' });
    await bob.waitForSelector('#conn.up', WAIT);
    await bob.waitForFunction("document.getElementById('me-status').value === 'away'", undefined, WAIT);
    await bob.waitForSelector('#me-avatar .dot.away', WAIT);

    for (const page of [alice, bob]) expect((page as Page & { problems?: string[] }).problems).toEqual([]);
    await shot(bob, '6-bob-final');
  }, 120_000);

  it('edit, delete, react, reply and search messages; log out ends the login', async () => {
    const erinName = uniqueUsername('erin');
    const finnName = uniqueUsername('finn');
    const erin = await signUp(erinName);
    const finn = await signUp(finnName);
    const inErin = (text: string) => `#messages .msg.mine:has(.content:text-is("${text}"))`;

    await erin.click(`#people li[data-user="${finnName}"]`);
    await erin.fill('#message-input', 'Budget draft v1');
    await erin.click('#send');
    await erin.waitForSelector(inErin('Budget draft v1'), WAIT);
    await finn.click(`#conversations li[data-conversation="${erinName}"]`);
    await finn.waitForSelector('#messages .msg >> text=Budget draft v1', WAIT);

    // Edit: the composer takes the text; Finn sees the new text, marked edited.
    await erin.click(`${inErin('Budget draft v1')} [data-action="edit"]`);
    await erin.waitForSelector('#compose-context:not([hidden]) >> text=Editing your message', WAIT);
    await erin.fill('#message-input', 'Budget draft v2');
    await erin.click('#send');
    await finn.waitForSelector('#messages .msg:has(.content:text-is("Budget draft v2")) .meta >> text=edited', WAIT);
    expect(await finn.locator('#messages .msg >> text=Budget draft v1').count()).toBe(0);

    // React: Finn's 👍 shows on Erin's side with its count; Finn's own reaction is marked.
    const fromErin = '#messages .msg:not(.mine):has(.content:text-is("Budget draft v2"))';
    await finn.click(`${fromErin} [data-action="react 👍"]`);
    await finn.waitForSelector(`${fromErin} .reaction.own[data-emoji="👍"] >> text=👍 1`, WAIT);
    await erin.waitForSelector(`${inErin('Budget draft v2')} .reaction[data-emoji="👍"] >> text=👍 1`, WAIT);

    // Reply: the quote of the answered message is shown with the reply, on both sides.
    await finn.click(`${fromErin} [data-action="reply"]`);
    await finn.waitForSelector(`#compose-context:not([hidden]) >> text=Replying to ${erinName}`, WAIT);
    await finn.fill('#message-input', 'Looks good to me');
    await finn.click('#send');
    await erin.waitForSelector(
      `#messages .msg:has(.content:text-is("Looks good to me")) .quote >> text=${erinName}: Budget draft v2`,
      WAIT,
    );
    await shot(erin, '10-edit-react-reply');

    // Delete: a tombstone takes its place for both; only your own messages offer Edit and Delete.
    expect(await erin.locator('#messages .msg:not(.mine) [data-action="delete"]').count()).toBe(0);
    await erin.fill('#message-input', 'oops, wrong chat');
    await erin.click('#send');
    await finn.waitForSelector('#messages .msg >> text=oops, wrong chat', WAIT);
    await erin.click(`${inErin('oops, wrong chat')} [data-action="delete"]`);
    await finn.waitForSelector('#messages .msg.deleted >> text=message deleted', WAIT);
    await erin.waitForSelector('#messages .msg.mine.deleted >> text=message deleted', WAIT);
    expect(await finn.locator('#messages .msg >> text=oops, wrong chat').count()).toBe(0);

    // Search: Finn finds the edited message from the sidebar and opens its conversation.
    await finn.fill('#message-search', 'budget');
    await finn.press('#message-search', 'Enter');
    await finn.waitForSelector(`#search-results li >> text=Budget draft v2`, WAIT);
    await finn.fill('#people-search', erinName); // somewhere else first
    await finn.click(`#search-results li:has-text("Budget draft v2")`);
    await finn.waitForSelector(`#chat-title >> text=${erinName}`, WAIT);
    await shot(finn, '11-search');

    // Log out: back to the login form; the tokens of that login are refused from now on.
    const { token, refreshToken } = JSON.parse(await erin.evaluate<string>("sessionStorage.getItem('auth')")) as {
      token: string;
      refreshToken: string;
    };
    expect(refreshToken).toEqual(expect.any(String));
    expect(erin.url()).not.toContain(refreshToken);
    await erin.click('#logout');
    await erin.waitForSelector('#auth:not([hidden])', WAIT);
    await erin.waitForSelector('#auth-error >> text=Logged out.', WAIT);
    expect(await erin.evaluate<string | null>("sessionStorage.getItem('auth')")).toBeNull();
    expect((await fetch(`${app.url}/users/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    const refresh = await fetch(`${app.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });
    expect(refresh.status).toBe(401);

    for (const page of [erin, finn]) expect((page as Page & { problems?: string[] }).problems).toEqual([]);
    await erin.context().close();
    await finn.context().close();
  }, 120_000);

  it('at 390 px: lists first, a conversation shows the whole chat pane; offline people can be found to DM', async () => {
    const carolName = uniqueUsername('carol');
    const daveName = uniqueUsername('dave');
    const dave = await signUp(daveName);
    await dave.context().close(); // Dave is offline now
    const carol = await signUp(carolName, PHONE);
    const fits = async (selector: string) => {
      const box = (await carol.locator(selector).boundingBox())!;
      expect(box.width).toBeGreaterThan(0);
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    };
    await fits('#people-search');

    // Nobody else is online, but a search finds Dave, shown offline.
    await carol.fill('#people-search', daveName.slice(0, -2));
    await carol.waitForSelector(`#people li[data-user="${daveName}"] .dot.offline`, WAIT);
    await carol.click(`#people li[data-user="${daveName}"]`);
    await carol.waitForSelector(`#chat-title >> text=${daveName}`, WAIT);
    await carol.waitForSelector('#chat-sub >> text=offline', WAIT);
    for (const selector of ['.chat', '#chat-title', '#open-details', '#message-input', '#send']) await fits(selector);
    await carol.fill('#message-input', 'Hi Dave, for when you are back');
    await carol.click('#send');
    await carol.waitForSelector('#messages .msg.mine >> text=Hi Dave, for when you are back', WAIT);
    await shot(carol, '9-phone-chat');

    // ← goes back to the lists, where the conversation is now.
    await carol.click('#back');
    await carol.waitForSelector(`#conversations li[data-conversation="${daveName}"]`, WAIT);
    await fits('#conversations');
    expect((carol as Page & { problems?: string[] }).problems).toEqual([]);
    await carol.context().close();
  }, 60_000);

  it('with 4 s tokens the page refreshes them (POST /auth/refresh) and keeps working past their expiry', async () => {
    const short = await startApp({ env: { JWT_EXPIRES_IN: '4' } });
    const context = await browser.newContext({ viewport: DESKTOP });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(err.message));
      const name = uniqueUsername('gail');
      await page.goto(short.url, { waitUntil: 'load' });
      await page.fill('#username', name);
      await page.fill('#password', 'correct horse battery');
      await page.click('#signup');
      await page.waitForSelector('#conn.up', WAIT);
      const tokens = () => page.evaluate<string>("sessionStorage.getItem('auth')");
      // Three refreshes (about every 2 s): the first access token has long expired by then.
      for (let i = 0; i < 3; i++) {
        const before = await tokens();
        await page.waitForFunction((was) => (globalThis as unknown as BrowserWindow).sessionStorage.getItem('auth') !== was, before, WAIT);
      }
      expect(page.url()).toBe(`${short.url}/`); // no token in the address
      await page.waitForSelector('#conn.up', WAIT);
      await page.fill('#room-name', 'still-here');
      await page.click('#room-form button');
      await page.waitForSelector('#chat-title >> text=# still-here', WAIT);
      expect(await page.locator('#auth:not([hidden])').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await short.close();
    }
  }, 60_000);

  it('renders /docs (Swagger UI) and /asyncapi under the default CSP, offline', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
    page.on(
      'request',
      (req) => !req.url().startsWith(app.url) && !req.url().startsWith('data:') && problems.push(`external: ${req.url()}`),
    );
    await page.goto(`${app.url}/docs`, { waitUntil: 'load' });
    await page.waitForSelector('.opblock-summary-path[data-path="/auth/login"]', WAIT);
    await shot(page, '7-docs');
    await page.goto(`${app.url}/asyncapi`, { waitUntil: 'load' });
    await page.waitForSelector('#client-message-send', WAIT);
    await shot(page, '8-asyncapi');
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
