// Opens a user's page in headless Chromium (Debian's, through playwright-core), clicks a button
// as a user would and prints one JSON line of what the page logged. Configuration comes from
// the environment:
//   PAGE_URL        the page to open
//   CHROMIUM        the Chromium binary (never a browser build downloaded by Playwright)
//   USER_DATA_DIR   a fresh, empty profile folder
//   SCREENSHOT      where to save a screenshot taken after the page logged (optional)
//   CLICK           the selector to click (default #submit)
//   WAIT_MS         how long to wait for the page to log something (default 30000)
// The page's own code is not touched: an init script, run before any of the page's scripts,
// wraps console.log so that every call also pushes JSON.stringify of its arguments into
// window.__logs, and records uncaught errors and unhandled rejections in window.__errors.
'use strict';
const { chromium } = require('playwright-core');

const env = process.env;
const waitMs = Number(env.WAIT_MS || 30000);

function capture() {
  const serialise = (value) => {
    const seen = new WeakSet();
    return JSON.stringify(value, (key, item) => {
      if (item instanceof Error) return { name: item.name, message: item.message, code: item.code, status: item.status };
      if (typeof item === 'object' && item !== null) {
        if (seen.has(item)) return '[circular]';
        seen.add(item);
      }
      return item;
    }) ?? 'null';
  };
  window.__logs = [];
  window.__errors = [];
  const original = console.log.bind(console);
  console.log = (...args) => {
    window.__logs.push(args.map(serialise));
    original(...args);
  };
  window.addEventListener('error', (event) => window.__errors.push(String(event.message)));
  window.addEventListener('unhandledrejection', (event) => window.__errors.push(serialise(event.reason)));
}

// For the screenshot only: a serialised Buffer ({type: 'Buffer', data: [bytes]}) as its text.
function bufferAsText(key, value) {
  if (value && value.type === 'Buffer' && Array.isArray(value.data)) {
    return `Buffer(${Buffer.from(value.data).toString('utf8')})`;
  }
  return value;
}

async function main() {
  const context = await chromium.launchPersistentContext(env.USER_DATA_DIR, {
    executablePath: env.CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 900, height: 600 },
  });
  const seen = { console: [], network: [], pageErrors: [] };
  try {
    await context.addInitScript(capture);
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (msg) => seen.console.push(`${msg.type()}: ${msg.text()}`));
    page.on('pageerror', (error) => seen.pageErrors.push(String(error)));
    // Every request the page made, with the headers that carry its signature and callback.
    const recorded = [];
    const record = async (request, outcome) => {
      const headers = await request.allHeaders().catch(() => ({}));
      const shown = {};
      for (const name of ['authorization', 'x-oss-security-token', 'x-oss-callback', 'x-oss-callback-var', 'origin']) {
        if (name in headers) shown[name] = headers[name];
      }
      seen.network.push({ method: request.method(), url: request.url(), ...outcome, headers: shown });
    };
    let started = 0;
    page.on('request', () => { started += 1; });
    page.on('requestfinished', (request) => {
      recorded.push(request.response().then((response) => record(request, { status: response ? response.status() : null })));
    });
    page.on('requestfailed', (request) => {
      recorded.push(record(request, { failure: request.failure().errorText }));
    });

    await page.goto(env.PAGE_URL, { waitUntil: 'load' });
    const sdkLoaded = await page.evaluate(() => typeof OSS === 'function');
    await page.click(env.CLICK || '#submit');
    let timedOut = false;
    try {
      await page.waitForFunction(() => window.__logs.length > 0 || window.__errors.length > 0, null, { timeout: waitMs });
    } catch (error) {
      timedOut = true;
    }
    const { logs, errors } = await page.evaluate(() => ({ logs: window.__logs, errors: window.__errors }));
    // The page logs from the response's callback; let Playwright's events for it catch up.
    for (const deadline = Date.now() + 5000; recorded.length < started && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(recorded);
    if (env.SCREENSHOT) {
      // The page only logs; show what it logged below its button for whoever opens the artifact.
      await page.evaluate((text) => {
        const pre = document.createElement('pre');
        pre.id = '__test_driver_log';
        pre.style.cssText = 'white-space: pre-wrap; font-size: 11px; border-top: 1px solid #999';
        pre.textContent = `console.log (captured by the test driver):\n${text}`;
        document.body.appendChild(pre);
      }, JSON.stringify({ logs: logs.map((args) => args.map((a) => JSON.parse(a))), errors }, bufferAsText, 2));
      await page.screenshot({ path: env.SCREENSHOT, fullPage: true });
    }
    const observed = {
      pageUrl: page.url(),
      origin: await page.evaluate(() => window.location.origin),
      sdkLoaded,
      timedOut,
      logs: logs.map((args) => args.map((a) => JSON.parse(a))),
      errors,
      ...seen,
    };
    console.log(JSON.stringify(observed));
  } finally {
    await context.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
