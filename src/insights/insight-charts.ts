import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import { PACKAGE_ROOT } from '../package-root.ts';

/** The font bundled with Rapport (assets/fonts, Bitstream Vera licence): chart text renders on a machine with no fonts at all. */
export const BUNDLED_CHART_FONT = join(PACKAGE_ROOT, 'assets', 'fonts', 'DejaVuSans.ttf');
const FONT_FAMILY = 'DejaVu Sans';

/** A chart drawn as a picture: PNG bytes and the SVG they came from. */
export interface ChartImage {
  png: Buffer;
  svg: string;
  width: number;
  height: number;
}

/** How chart pictures are drawn. */
export interface ChartRenderOptions {
  /** Font file for the text; default {@link BUNDLED_CHART_FONT}. A missing file fails the drawing (the post goes out without it). */
  fontFile?: string;
  /**
   * Also load the machine's fonts as fallbacks for glyphs the font lacks (Chinese topic names need a
   * CJK font such as Noto Sans CJK; none is bundled). Default true.
   */
  systemFonts?: boolean;
  /** Pixels; default 800 x 400. */
  width?: number;
  height?: number;
}

/** One horizontal bar per item, largest on top: what the weekly post's charts show. */
export interface BarChart {
  title: string;
  /** The unit on the value axis ("messages", "business minutes"). */
  unit: string;
  bars: { label: string; value: number }[];
  /** Put before each bar's value label ("~" for an estimate). Default none. */
  valuePrefix?: string;
  /** A dashed line across the value axis (the response target). */
  markLine?: { value: number; label: string };
}

/** Pixels left of the bars for their labels. */
const LABEL_WIDTH = 210;

const trim = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * Draws a bar chart with Apache ECharts on the server (SVG renderer in SSR mode, no DOM) and turns the
 * SVG into a PNG with resvg, using the bundled font so the text does not depend on what is installed.
 * @throws Error when the font file is missing or the SVG cannot be drawn: callers leave the picture out.
 */
export function renderBarChart(chart: BarChart, options: ChartRenderOptions = {}): ChartImage {
  const width = options.width ?? 800;
  const height = options.height ?? 400;
  const fontFile = options.fontFile ?? BUNDLED_CHART_FONT;
  if (!existsSync(fontFile)) throw new Error(`The chart font ${fontFile} is missing.`);
  const bars = [...chart.bars].reverse(); // ECharts draws the first category at the bottom
  const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  let svg: string;
  try {
    instance.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: FONT_FAMILY },
      title: { text: chart.title, left: 12, top: 8, textStyle: { fontSize: 16, fontFamily: FONT_FAMILY } },
      // A fixed label column: ECharts measures text without the font resvg draws with, so containLabel cut labels off.
      grid: { left: LABEL_WIDTH + 20, right: 56, top: 48, bottom: 44 },
      xAxis: {
        type: 'value',
        // Room for the target line when every bar is shorter; the odd last tick is not labelled.
        max: chart.markLine
          ? Math.ceil(Math.max(chart.markLine.value, ...chart.bars.map((b) => b.value)) * 1.1)
          : undefined,
        name: chart.unit,
        nameLocation: 'middle',
        nameGap: 24,
        axisLabel: { fontFamily: FONT_FAMILY, showMaxLabel: !chart.markLine },
      },
      yAxis: {
        type: 'category',
        data: bars.map((b) => trim(b.label, 30)),
        axisLabel: { fontFamily: FONT_FAMILY, fontSize: 12, width: LABEL_WIDTH, overflow: 'truncate' },
      },
      series: [
        {
          type: 'bar',
          data: bars.map((b) => b.value),
          itemStyle: { color: '#3b6fd8' },
          label: { show: true, position: 'right', fontFamily: FONT_FAMILY, formatter: `${chart.valuePrefix ?? ''}{c}` },
          ...(chart.markLine
            ? {
                markLine: {
                  symbol: 'none',
                  lineStyle: { type: 'dashed', color: '#c0392b' },
                  label: { formatter: chart.markLine.label, fontFamily: FONT_FAMILY },
                  data: [{ xAxis: chart.markLine.value }],
                },
              }
            : {}),
        },
      ],
    });
    svg = instance.renderToSVGString();
  } finally {
    instance.dispose();
  }
  const png = new Resvg(svg, {
    background: '#ffffff',
    font: {
      fontFiles: [fontFile],
      loadSystemFonts: options.systemFonts ?? true,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  })
    .render()
    .asPng();
  return { png, svg, width, height };
}
