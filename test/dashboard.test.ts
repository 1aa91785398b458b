import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ROOT } from '../src/local/definitions.js';

// The dashboard in a real headless browser (Debian's chromium, driven by playwright-core): it
// loads the page of a simulator session waiting at its approval gate, reads what it shows,
// clicks promote (confirming the dialog), and sees the release finish. Without a browser the
// test says so and is skipped, except in CI (`.ci/run` installs chromium), where it fails.

const CHROMIUM = process.env.GREENLIGHT_CHROMIUM ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && !process.env.CI) process.stderr.write(`dashboard browser test skipped: no browser at ${CHROMIUM} (apt-get install chromium, or set GREENLIGHT_CHROMIUM)\n`);
const maybe = haveBrowser || process.env.CI ? describe : describe.skip;

const dir = mkdtempSync(join(tmpdir(), 'greenlight-dashboard-'));
const env = { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', GREENLIGHT_SIM_DIR: join(dir, 'sessions') };
let server: ChildProcess | undefined;
afterAll(() => {
  server?.kill('SIGTERM');
});

function startDashboard(): Promise<string> {
  server = spawn(join(ROOT, 'bin', 'greenlight'), ['dashboard', '--sim', 'dash', '--port', '0'], { cwd: dir, env });
  return new Promise((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (d) => {
      out += d;
      const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    server!.on('exit', (code) => reject(new Error(`dashboard exited ${code}: ${out}`)));
  });
}

maybe('Dashboard in a headless browser', () => {
  it('shows the session waiting for approval; promote (confirmed) releases it; the page shows the end', async () => {
    expect(existsSync(CHROMIUM)).toBe(true);
    const started = spawnSync(join(ROOT, 'bin', 'greenlight'), ['sim', 'start', 'approval', '--at', '150', '--session', 'dash'], { cwd: dir, env, encoding: 'utf8' });
    expect(started.status).toBe(0);
    const url = await startDashboard();
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      const app = page.getByTestId('app-web');
      await expect(app.getByTestId('phase').textContent({ timeout: 30_000 })).resolves.toMatch(/waits for approval: greenlight promote web/);
      expect(await app.getByTestId('live').textContent()).toBe('blue 1.4.1');
      expect(await app.getByTestId('colour-web-blue').getByTestId('percent').textContent()).toBe('100%');
      expect(await app.getByTestId('colour-web-green').getByTestId('version').textContent()).toBe('1.4.2');
      expect(await page.getByTestId('target').textContent()).toMatch(/^simulator session dash/);
      // The button asks first; declined, nothing happens.
      let asked = '';
      page.once('dialog', (d) => {
        asked = d.message();
        void d.dismiss();
      });
      await app.getByTestId('promote-web').click();
      expect(asked).toBe('promote web?');
      expect(await app.getByTestId('phase').textContent()).toMatch(/waits for approval/);
      // Accepted: the release is promoted and followed to its end.
      page.once('dialog', (d) => void d.accept());
      await app.getByTestId('promote-web').click();
      await page.waitForFunction("/released/.test(document.querySelector('[data-testid=result-web]')?.textContent ?? '')", undefined, { timeout: 120_000 });
      expect(await page.getByTestId('app-web').getByTestId('live').textContent()).toBe('green 1.4.2');
      expect(await page.getByTestId('app-web').getByTestId('history').locator('li').first().textContent()).toMatch(/release 1\.4\.2 released/);
    } finally {
      await browser.close();
    }
  }, 240_000);
});
