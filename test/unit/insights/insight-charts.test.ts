import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { BUNDLED_CHART_FONT, renderBarChart } from '../../../src/insights/insight-charts.ts';

const CHART = {
  title: 'Top needs · 7d',
  unit: 'messages',
  bars: [
    { label: 'export / csv / timeout', value: 16 },
    { label: 'invoice / billing', value: 9 },
  ],
};

describe('chart pictures (ECharts SSR SVG → resvg PNG)', () => {
  it('draws an 800x400 PNG whose SVG holds the topic names, title and unit', () => {
    const chart = renderBarChart(CHART);
    expect(chart.png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([chart.png.readUInt32BE(16), chart.png.readUInt32BE(20)]).toEqual([800, 400]);
    for (const text of ['export / csv / timeout', 'invoice / billing', 'Top needs · 7d', 'messages'])
      expect(chart.svg).toContain(text);
  });

  it('draws its text with the bundled font alone (a machine without any font): text pixels differ from a fontless render', () => {
    const chart = renderBarChart(CHART, { systemFonts: false });
    const fontless = new Resvg(chart.svg, { background: '#ffffff', font: { loadSystemFonts: false } }).render().asPng();
    expect(chart.png.equals(fontless)).toBe(false);
    expect(BUNDLED_CHART_FONT).toMatch(/assets\/fonts\/DejaVuSans\.ttf$/);
  });

  it('a missing font file is an error with the path (the weekly post then goes without pictures)', () => {
    expect(() => renderBarChart(CHART, { fontFile: '/nonexistent/font.ttf' })).toThrow(/\/nonexistent\/font\.ttf/);
  });

  it('a response-time chart has room for the target line when every bar is shorter', () => {
    const chart = renderBarChart({
      title: 'Response times',
      unit: 'business minutes',
      bars: [{ label: 'first response', value: 45 }],
      markLine: { value: 240, label: 'target 4 h' },
    });
    expect(chart.svg).toContain('target 4 h');
  });
});
