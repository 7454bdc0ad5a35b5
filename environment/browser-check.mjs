// Real-browser check: Debian's chromium, driven by playwright-core, opens a notebook in a running
// JupyterLab, runs all cells, waits for the kernel to be idle, and asserts that an image output and an
// HTML table rendered and that no error output appeared. Saves a screenshot of the notebook panel.
//
// usage: node browser-check.mjs BASE_URL NOTEBOOK SCREENSHOT.png
import { chromium } from 'playwright-core';

const [base, notebook, shot] = process.argv.slice(2);
if (!base || !notebook || !shot) {
  console.error('usage: node browser-check.mjs BASE_URL NOTEBOOK SCREENSHOT.png');
  process.exit(2);
}
const log = (m) => console.log(`[browser] ${m}`);
const deadline = (min) => Date.now() + min * 60_000;

async function waitForServer(url, until) {
  while (Date.now() < until) {
    try {
      const r = await fetch(`${url}/api/status`);
      if (r.ok) return;
    } catch (e) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`JupyterLab did not answer at ${url} within the time limit`);
}

await waitForServer(base, deadline(2));
log(`JupyterLab is up at ${base}`);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
let failed = null;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.goto(`${base}/lab/tree/${notebook}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => window.jupyterapp && window.jupyterapp.shell, null, { timeout: 120_000 });
  await page.waitForSelector('.jp-NotebookPanel .jp-Cell', { timeout: 120_000 });
  // wait until the kernel of the opened notebook is connected (JJava reports its status only once it
  // has executed something, so 'unknown' is normal here)
  await page.waitForFunction(() => {
    const w = window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return k && k.connectionStatus === 'connected';
  }, null, { timeout: 180_000 });
  log('kernel connected: clearing the saved outputs, then running all cells');
  await page.evaluate(() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs'));
  await page.waitForFunction(() => window.jupyterapp.shell.currentWidget.content.widgets
    .filter((c) => c.model.type === 'code').every((c) => c.model.executionCount === null), null, { timeout: 30_000 });
  await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-all-cells'));
  const until = deadline(15);
  for (;;) {
    const state = await page.evaluate(() => {
      const w = window.jupyterapp.shell.currentWidget;
      const cells = w.content.widgets.filter((c) => c.model.type === 'code');
      const done = cells.filter((c) => c.model.executionCount !== null && c.model.executionCount !== undefined).length;
      const status = w.sessionContext.session.kernel.status;
      const errors = cells.reduce((n, c) => n + c.model.outputs.toJSON().filter((o) => o.output_type === 'error').length, 0);
      return { done, total: cells.length, status, errors };
    });
    if (state.errors > 0) { failed = `an error output appeared (${state.errors})`; break; }
    if (state.done === state.total && state.status === 'idle') { log(`all ${state.total} code cells ran`); break; }
    if (Date.now() > until) { failed = `timed out: ${state.done}/${state.total} cells ran, kernel ${state.status}`; break; }
    await new Promise((r) => setTimeout(r, 1000));
  }
  const found = await page.evaluate(() => ({
    images: document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output img').length,
    tables: document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output table').length,
    errors: document.querySelectorAll('.jp-NotebookPanel .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]').length,
  }));
  log(`rendered: ${found.images} image output(s), ${found.tables} HTML table(s), ${found.errors} error output(s)`);
  if (!failed && found.images < 1) failed = 'no image output rendered';
  if (!failed && found.tables < 1) failed = 'no HTML table output rendered';
  if (!failed && found.errors > 0) failed = 'an error output rendered';
  // grow the window to the notebook's full height so the screenshot shows every cell
  const height = await page.evaluate(() => {
    const scroller = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
    return scroller ? scroller.scrollHeight : 1000;
  });
  await page.setViewportSize({ width: 1400, height: Math.min(Math.max(height + 200, 1000), 16000) });
  await page.evaluate(() => {
    const scroller = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
    if (scroller) scroller.scrollTop = 0;
  });
  await page.waitForTimeout(1000);
  const panel = await page.$('.jp-NotebookPanel');
  await (panel || page).screenshot({ path: shot });
  log(`screenshot: ${shot}`);
} catch (e) {
  failed = String(e && e.message ? e.message : e);
  try {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages.length) {
      const dialog = await pages[0].$('.jp-Dialog');
      if (dialog) failed += ` (a dialog was open: "${(await dialog.innerText()).slice(0, 200)}")`;
      await pages[0].screenshot({ path: shot });
      log(`screenshot of the failure: ${shot}`);
    }
  } catch (e2) { /* best effort */ }
} finally {
  await browser.close();
}
if (failed) {
  console.error(`[browser] FAILED: ${failed}`);
  process.exit(1);
}
log('browser check passed');
