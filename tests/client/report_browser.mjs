// An HTML run report in a real browser: Debian's chromium driven by
// puppeteer-core (pinned in deploy/tools; it downloads no browser).
//
//   node report_browser.mjs REPORT.html EXPECT.json [--shots DIR]
//                           [--pdf-pages MIN,MAX]
//
// The page is loaded from its file: URL with request interception on:
// any request other than the document itself is aborted and fails the
// check, as do console errors and warnings, page errors and failed
// requests. Then the expectations file and the contract's rules
// (report_rules.mjs) run on the DOM; with --shots, one PNG per section
// (report-<section id>.png) at a fixed 1100-pixel viewport; with
// --pdf-pages, the page printed on A4 and its pages counted (pdfinfo).
// Prints a JSON summary; exit status 0 only when every check passed.
//
// CLUSTERD_NODE_TOOLS names deploy/tools (default: found from here);
// CLUSTERD_CHROMIUM the browser (default /usr/bin/chromium).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { checkPage, selectorErrors } from './report_rules.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TOOLS = process.env.CLUSTERD_NODE_TOOLS || path.join(here, '..', '..', 'deploy', 'tools');
const CHROMIUM = process.env.CLUSTERD_CHROMIUM || '/usr/bin/chromium';
const VIEWPORT = { width: 1100, height: 800, deviceScaleFactor: 1 };
const NOISY = new Set(['error', 'warn', 'warning', 'assert']);

function usage(msg) {
  console.error(`report_browser: ${msg}\nusage: node report_browser.mjs REPORT.html EXPECT.json [--shots DIR] [--pdf-pages MIN,MAX]`);
  process.exit(2);
}

function chromiumArgs() {
  const args = [
    '--disable-gpu', '--hide-scrollbars', '--force-color-profile=srgb',
    '--disable-component-update',
    // Every host name and address resolves to nothing, so that neither the
    // browser's own background requests nor a request the interception
    // missed can leave the machine.
    '--host-resolver-rules=MAP * ~NOTFOUND',
  ];
  // chromium's sandbox refuses to run as root (containers, CI)
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  return args;
}

function pdfPages(file) {
  let info;
  try {
    info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  } catch (e) {
    throw new Error(e.code === 'ENOENT'
      ? 'pdfinfo not found (poppler-utils: deploy/install-deps.sh installs it)'
      : `pdfinfo failed: ${e.message}`);
  }
  return Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
}

function isPng(file) {
  const b = fs.readFileSync(file);
  return b.length > 100 && b.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
}

async function main() {
  const { values: opt, positionals: pos } = parseArgs({
    allowPositionals: true,
    options: { shots: { type: 'string' }, 'pdf-pages': { type: 'string' } },
  });
  if (pos.length !== 2) usage('want REPORT.html and EXPECT.json');
  const [report, expectFile] = pos;
  let pdfRange = null;
  if (opt['pdf-pages']) {
    pdfRange = opt['pdf-pages'].split(',').map(Number);
    if (pdfRange.length !== 2 || pdfRange.some((n) => !Number.isInteger(n))) usage('--pdf-pages MIN,MAX');
  }
  try {
    fs.accessSync(CHROMIUM, fs.constants.X_OK);
  } catch {
    console.error(`report_browser: ${CHROMIUM} not found: deploy/install-deps.sh installs chromium`);
    return 1;
  }
  const require = createRequire(path.join(TOOLS, 'package.json'));
  let puppeteer;
  try {
    puppeteer = require('puppeteer-core');
  } catch {
    console.error(`report_browser: no puppeteer-core in ${TOOLS}: deploy/install-deps.sh installs it`);
    return 1;
  }
  const exp = JSON.parse(fs.readFileSync(expectFile, 'utf8'));
  const url = pathToFileURL(path.resolve(report)).href;
  const t0 = Date.now();
  const failures = [];
  const summary = { report, harness: 'browser' };
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'report-browser-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true, pipe: true, userDataDir: profile,
    args: chromiumArgs(), defaultViewport: VIEWPORT, timeout: 60000,
  });
  try {
    summary.browser = await browser.version();
    const page = await browser.newPage();
    const aborted = new Set();
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.url() === url && req.isNavigationRequest() && req.frame() === page.mainFrame()) {
        req.continue();
        return;
      }
      failures.push(`request: ${req.resourceType()} ${req.url()}`);
      aborted.add(req);
      req.abort('blockedbyclient');
    });
    page.on('requestfailed', (req) => {
      if (!aborted.has(req)) failures.push(`requestfailed: ${req.url()}: ${req.failure()?.errorText}`);
    });
    page.on('console', (msg) => {
      if (NOISY.has(msg.type())) failures.push(`console: ${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => failures.push(`pageerror: ${err.message || err}`));

    await page.goto(url, { waitUntil: ['load', 'networkidle0'], timeout: 60000 });
    await page.evaluate(() => document.fonts.ready.then(() => true));

    const bad = selectorErrors(exp);
    failures.push(...(bad.length ? bad : await page.evaluate(checkPage, exp)));

    const outDir = opt.shots || profile;
    fs.mkdirSync(outDir, { recursive: true });
    if (opt.shots) {
      summary.shots = [];
      const sections = await page.$$('section');
      for (const [i, s] of sections.entries()) {
        const id = (await s.evaluate((e) => e.id)) || `section-${i + 1}`;
        const file = path.join(outDir, `report-${id.replace(/[^\w.-]/g, '_')}.png`);
        await s.screenshot({ path: file });
        if (!isPng(file)) failures.push(`screenshot: ${file} is not a PNG`);
        summary.shots.push(file);
      }
      if (!sections.length) failures.push('screenshot: no section to take');
    }
    if (pdfRange) {
      const file = path.join(outDir, 'report.pdf');
      await page.pdf({ path: file, format: 'A4', printBackground: true });
      try {
        summary.pdf_pages = pdfPages(file);
        const [lo, hi] = pdfRange;
        if (summary.pdf_pages < lo || summary.pdf_pages > hi)
          failures.push(`pdf: ${summary.pdf_pages} pages, want ${lo}..${hi}`);
      } catch (e) {
        failures.push(`pdf: ${e.message}`);
      }
    }
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  Object.assign(summary, { ok: failures.length === 0, failures, seconds: (Date.now() - t0) / 1000 });
  console.log(JSON.stringify(summary, null, 1));
  return failures.length ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`report_browser: ${err.stack || err}`);
  process.exit(1);
});
