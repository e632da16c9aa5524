import { definitionOf, type KpiFigure, type KpiUnit } from './definitions.ts';

/** A figure's value in words and digits, the same in Slack, the console and the export's summary. */
export function formatKpiValue(unit: KpiUnit, value: number | null): string {
  if (value === null) return '–';
  switch (unit) {
    case 'percent':
      return `${value.toFixed(1)}%`;
    case 'count':
      return String(Math.round(value));
    case 'ratio':
      return value.toFixed(2);
    case 'score':
      return `${value.toFixed(2)} / 5`;
    case 'minutes':
      return `${Math.round(value)} person-min`;
    case 'per_day':
      return `${value.toFixed(2)}/day`;
    case 'hours':
      return value >= 48 ? `${(value / 24).toFixed(1)} d` : value >= 1 ? `${value.toFixed(1)} h` : `${Math.round(value * 60)} min`;
  }
}

const ARROWS = { up: '▲', down: '▼', same: '＝', none: '' } as const;

/** "▲ from 30.0%" beside the value: the previous period's figure and the direction of change. */
export function formatKpiChange(figure: KpiFigure): string {
  const unit = definitionOf(figure.key).unit;
  if (figure.direction === 'none') return figure.previous === null ? 'no figure before' : `was ${formatKpiValue(unit, figure.previous)}`;
  if (figure.direction === 'same') return `${ARROWS.same} same as before`;
  return `${ARROWS[figure.direction]} from ${formatKpiValue(unit, figure.previous)}`;
}
