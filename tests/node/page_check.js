// Drives the emulator's own page (/_emulator/) in headless Chromium (Debian's, through
// playwright-core; never a downloaded browser build). Prints JSON lines on stdout:
//   1. {"ready": true, ...} once the page shows the bucket, INITIAL_OBJECTS objects and
//      INITIAL_ENTRIES journal entries; the test then uploads one more object with a callback;
//   2. the final observation, after the page showed LIVE_ENTRIES entries without a reload,
//      the download link was fetched and the replay buttons were clicked.
// Configuration comes from the environment:
//   PAGE_URL, CHROMIUM, USER_DATA_DIR, SCREENSHOT (optional),
//   INITIAL_OBJECTS, INITIAL_ENTRIES, LIVE_ENTRIES, REPLAY_URL (typed into the failed
//   entry's replay input), DOWNLOAD_KEY (the object whose download link is fetched).
'use strict';
const { chromium } = require('playwright-core');

const env = process.env;
const TIMEOUT = 20000;

const texts = (page, selector) => page.$$eval(selector, (nodes) => nodes.map((node) => node.textContent.trim()));

async function entries(page) {
  return page.$$eval('#journal-list .entry', (nodes) => nodes.map((node) => ({
    id: node.dataset.id,
    className: node.className,
    text: node.textContent,
    verdict: node.querySelector('.verdict').textContent,
    message: (node.querySelector('.message') || { textContent: null }).textContent,
    url: node.querySelector('.url').textContent,
    key: node.querySelector('.object-key').textContent,
    requestLine: node.querySelector('.request-line').textContent,
    requestBody: node.querySelector('.request-body').textContent,
    stringToSign: node.querySelector('.string-to-sign').textContent,
    requestHeaders: [...node.querySelectorAll('.block table.headers')][0].textContent,
    responseStatus: node.querySelector('.response-status').textContent,
    responseBody: node.querySelector('.response-body').textContent,
    duration: node.querySelector('.duration').textContent,
  })));
}

async function main() {
  const context = await chromium.launchPersistentContext(env.USER_DATA_DIR, {
    executablePath: env.CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  const seen = { console: [], pageErrors: [], replayRequests: [] };
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (msg) => seen.console.push(`${msg.type()}: ${msg.text()}`));
    page.on('pageerror', (error) => seen.pageErrors.push(String(error)));
    page.on('requestfinished', async (request) => {
      if (!request.url().endsWith('/replay')) return;
      const response = await request.response();
      seen.replayRequests.push({
        method: request.method(),
        url: request.url(),
        body: request.postData(),
        contentType: (await request.allHeaders())['content-type'] || null,
        status: response ? response.status() : null,
      });
    });

    await page.goto(env.PAGE_URL, { waitUntil: 'load' });
    const initialObjects = Number(env.INITIAL_OBJECTS);
    const initialEntries = Number(env.INITIAL_ENTRIES);
    await page.waitForFunction(([objects, journal]) =>
      document.querySelectorAll('#object-list tr.object').length >= objects &&
      document.querySelectorAll('#journal-list .entry').length >= journal,
    [initialObjects, initialEntries], { timeout: TIMEOUT });
    const initial = {
      buckets: await texts(page, '#bucket-list .bucket-name'),
      selectedBucket: await texts(page, '#bucket-list .selected .bucket-name'),
      objects: await texts(page, '#object-list tr.object .key'),
      journalCount: await page.textContent('#journal-count'),
      entries: await entries(page),
    };
    console.log(JSON.stringify({ ready: true, initial }));

    // Live: the test uploads another object now; the page must show it without a reload.
    const liveEntries = Number(env.LIVE_ENTRIES);
    const liveStarted = Date.now();
    await page.waitForFunction((count) => document.querySelectorAll('#journal-list .entry').length >= count,
      liveEntries, { timeout: TIMEOUT });
    const live = { entries: await entries(page), waitedMs: Date.now() - liveStarted };

    // The download link of one object: its attributes, and what fetching its href returns.
    await page.click('#refresh-objects');
    await page.waitForFunction((count) => document.querySelectorAll('#object-list tr.object').length >= count,
      initialObjects + 1, { timeout: TIMEOUT });
    const download = await page.evaluate(async (key) => {
      const row = [...document.querySelectorAll('#object-list tr.object')].find((tr) => tr.dataset.key === key);
      if (!row) return { found: false };
      const link = row.querySelector('a.download');
      const response = await fetch(link.href);
      return {
        found: true,
        href: link.getAttribute('href'),
        downloadAttribute: link.getAttribute('download'),
        status: response.status,
        contentDisposition: response.headers.get('content-disposition'),
        text: await response.text(),
      };
    }, env.DOWNLOAD_KEY);
    const objects = await texts(page, '#object-list tr.object .key');

    // Prefix filter: only keys under the first key's first character.
    await page.fill('#prefix', env.FILTER_PREFIX || '');
    await page.click('#filter');
    await page.waitForTimeout(500);
    const filtered = await texts(page, '#object-list tr.object .key');

    // Replay: the oldest success as is; the oldest failure to REPLAY_URL.
    const before = Number(await page.textContent('#journal-count'));
    const success = page.locator('#journal-list .entry.success').last();
    const failure = page.locator('#journal-list .entry.failure').last();
    const replayed = [];
    await success.locator('button.replay').click();
    await page.waitForFunction((id) => {
      const status = document.querySelector(`#journal-list .entry[data-id="${id}"] .replay-status`);
      return status && status.textContent && status.textContent !== 'replaying…';
    }, await success.getAttribute('data-id'), { timeout: TIMEOUT });
    replayed.push(await success.locator('.replay-status').textContent());
    await failure.locator('input.replay-url').fill(env.REPLAY_URL || '');
    await failure.locator('button.replay').click();
    await page.waitForFunction((id) => {
      const status = document.querySelector(`#journal-list .entry[data-id="${id}"] .replay-status`);
      return status && status.textContent && status.textContent !== 'replaying…';
    }, await failure.getAttribute('data-id'), { timeout: TIMEOUT });
    replayed.push(await failure.locator('.replay-status').textContent());
    // Let the poll after the replays land (their new entries, when the endpoint made some).
    await page.waitForTimeout(1500);
    const after = { journalCount: Number(await page.textContent('#journal-count')), entries: await entries(page) };
    for (const deadline = Date.now() + 3000; seen.replayRequests.length < 2 && Date.now() < deadline;) {
      await page.waitForTimeout(50);
    }

    if (env.SCREENSHOT) {
      await page.fill('#prefix', '');
      await page.click('#filter');
      await page.waitForTimeout(300);
      // Open the newest success and failure entries so the screenshot shows request and answer.
      await page.evaluate(() => {
        for (const kind of ['success', 'failure']) {
          const entry = document.querySelector(`#journal-list .entry.${kind} details`);
          if (entry) entry.open = true;
        }
      });
      await page.screenshot({ path: env.SCREENSHOT, fullPage: true });
    }
    console.log(JSON.stringify({
      ready: false, initial, live, download, objects, filtered, before, replayed, after,
      ...seen,
    }));
  } finally {
    await context.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
