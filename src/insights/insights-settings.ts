import type { BusinessHours } from './business-hours.ts';

/** What the insights services need from the configuration (Config.insights). */
export interface InsightsSettings {
  businessHours: BusinessHours;
  /** Business minutes a customer may wait for a reply. */
  responseTargetMinutes: number;
  /** Base URL of console links ("http://127.0.0.1:3000"). */
  publicUrl: string;
  /**
   * Font file the weekly post's chart pictures are drawn with (default: the bundled DejaVu Sans,
   * assets/fonts). The machine's fonts are fallbacks for glyphs it lacks (Chinese needs a CJK font).
   */
  chartFontFile?: string;
}
