import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBarChart } from '../../../src/insights/insight-charts.ts';
import { artifactPath, launchChromium, startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

// The weekly post's chart as the live channel page shows it, in headless Chromium.
describe('the live channel shows a post’s chart pictures', () => {
  let t: TestDatabase;
  let app: ConsoleServer;
  let browser: Browser;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    app = await startConsoleServer(t.db);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.dispose();
  });

  it('draws the PNG under the post, decoded at its size, with its text alternative', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${app.base}/console/channel`);
    await expect.poll(() => page.textContent('#stream-state'), { timeout: 30_000 }).toBe('live');
    const chart = renderBarChart({
      title: 'Top needs · 7d',
      unit: 'messages',
      bars: [{ label: 'export / csv / timeout', value: 16 }],
    });
    await app.connector.post('console:team', {
      title: 'Weekly insights · last 7 days',
      text: 'Weekly insights: 48 customer messages',
      visibility: 'channel',
      images: [
        {
          title: 'Top needs · 7d',
          filename: 'top-needs.png',
          altText: 'Top needs: export / csv / timeout 16',
          pngBase64: chart.png.toString('base64'),
        },
      ],
    });
    const img = page.locator('#feed li img.reply-image');
    await img.waitFor({ timeout: 30_000 });
    expect(await img.getAttribute('alt')).toBe('Top needs: export / csv / timeout 16');
    await expect
      .poll(() => img.evaluate((el) => [(el as HTMLImageElement).complete, (el as HTMLImageElement).naturalWidth]))
      .toEqual([true, 800]);
    await page.screenshot({ path: artifactPath('console-channel-weekly-chart.png') });
    // At 390 px the picture shrinks with the page instead of widening it.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  }, 120_000);
});
