import { fileURLToPath } from 'node:url';
import * as echarts from 'echarts';
import { Resvg } from '@resvg/resvg-js';
import { TREND_OUTCOMES, type TrendOutcome, type TrendWeek } from '../../core/usecases/digest.ts';

/** The font shipped in the repository (assets/fonts), so the chart is drawn the same on every machine. */
const FONT_FILE = fileURLToPath(new URL('../../../assets/fonts/DejaVuSans.ttf', import.meta.url));
const FONT_FAMILY = 'DejaVu Sans';

export const TREND_CHART_SIZE = { width: 960, height: 480 } as const;

const OUTCOME_STYLE: Record<TrendOutcome, { label: string; color: string }> = {
  completed: { label: 'Completed', color: '#2eb67d' },
  failed: { label: 'Failed', color: '#e01e5a' },
  rolled_back: { label: 'Rolled back', color: '#ecb22e' },
  cancelled: { label: 'Cancelled', color: '#9e9ea6' },
  rejected: { label: 'Rejected', color: '#6b5b95' },
};

const SHORT_DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** Change failure rate of a week in percent, or null for a week with nothing deployed (no point drawn). */
function failureRate(week: TrendWeek): number | null {
  return week.deployed === 0 ? null : Math.round((week.changeFailures / week.deployed) * 1_000) / 10;
}

/**
 * The weekly trend as an SVG: releases ended per week stacked by outcome, and the change failure rate
 * as a line on its own axis. ECharts' server-side renderer needs no DOM and no native build.
 */
export function trendChartSvg(weeks: TrendWeek[], title: string, size: { width: number; height: number } = TREND_CHART_SIZE): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: FONT_FAMILY },
      title: { text: title, left: 16, top: 10, textStyle: { fontFamily: FONT_FAMILY, fontSize: 16, fontWeight: 'normal' } },
      legend: { bottom: 10, left: 'center', itemGap: 24, textStyle: { fontFamily: FONT_FAMILY } },
      grid: { left: 56, right: 72, top: 72, bottom: 80 },
      xAxis: { type: 'category', data: weeks.map((w) => SHORT_DATE.format(new Date(`${w.week}T00:00:00Z`))), axisLabel: { fontFamily: FONT_FAMILY } },
      yAxis: [
        { type: 'value', name: 'Releases', minInterval: 1, axisLabel: { fontFamily: FONT_FAMILY } },
        { type: 'value', name: 'Change failure rate', min: 0, max: 100, axisLabel: { formatter: '{value}%', fontFamily: FONT_FAMILY }, splitLine: { show: false } },
      ],
      series: [
        ...TREND_OUTCOMES.map((outcome) => ({
          name: OUTCOME_STYLE[outcome].label,
          type: 'bar' as const,
          stack: 'outcomes',
          itemStyle: { color: OUTCOME_STYLE[outcome].color },
          data: weeks.map((w) => w.counts[outcome]),
        })),
        { name: 'Change failure rate', type: 'line' as const, yAxisIndex: 1, connectNulls: true, symbolSize: 6, itemStyle: { color: '#1d1c1d' }, data: weeks.map(failureRate) },
      ],
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The chart as a PNG of exactly `size`, drawn by resvg with the repository's font only. */
export function trendChartPng(weeks: TrendWeek[], title: string, size: { width: number; height: number } = TREND_CHART_SIZE): Buffer {
  const svg = trendChartSvg(weeks, title, size);
  const resvg = new Resvg(svg, { fitTo: { mode: 'width', value: size.width }, font: { fontFiles: [FONT_FILE], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY } });
  return resvg.render().asPng();
}
