/**
 * The load benchmark's figures: per-interval rows (samples accepted and compacted, backlog,
 * compaction lag), fixed-width tables, and an SVG plot of throughput, backlog and lag over time,
 * drawn by hand (no plotting dependency).
 */

export interface StatusPoint {
  /** ms since the start. */
  at: number;
  pendingSegments: number;
  openJobs: number;
  queued: number;
  undeliveredExports: number;
  /** pending segments + queue depths (visible and in flight, DLQs included) + undelivered exports. */
  backlog: number;
  /** The largest shard state object, bytes. */
  stateBytesMax: number;
  /** Samples acknowledged so far and not yet in an L1 block: the work outstanding, in samples. */
  uncompacted: number;
}

export interface IntervalRow {
  /** Start, seconds since the start. */
  fromS: number;
  toS: number;
  acceptedPerMinute: number;
  compactedPerMinute: number;
  /** Undefined when no status was read in the interval (the pipeline too busy to answer). */
  backlogMean: number | undefined;
  backlogMax: number | undefined;
  /** At the end of the interval. */
  uncompacted: number;
  lagP50S: number | undefined;
  lagP99S: number | undefined;
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The least-squares slope of y over x; undefined for fewer than two distinct x. */
export function leastSquaresSlope(points: ReadonlyArray<readonly [number, number]>): number | undefined {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxx = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  if (n < 2 || sxx === 0) return undefined;
  return points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0) / sxx;
}

export function intervalRow(
  fromMs: number,
  toMs: number,
  accepted: number,
  compacted: number,
  backlog: readonly StatusPoint[],
  lagsMs: readonly number[],
  uncompacted: number,
): IntervalRow {
  const perMinute = (count: number) => (count * 60_000) / Math.max(1, toMs - fromMs);
  const inside = backlog.filter((point) => point.at >= fromMs && point.at < toMs).map((point) => point.backlog);
  const lag = (p: number) => {
    const value = percentile(lagsMs, p);
    return value === undefined ? undefined : value / 1000;
  };
  return {
    fromS: fromMs / 1000,
    toS: toMs / 1000,
    acceptedPerMinute: perMinute(accepted),
    compactedPerMinute: perMinute(compacted),
    backlogMean: inside.length === 0 ? undefined : inside.reduce((sum, value) => sum + value, 0) / inside.length,
    backlogMax: inside.length === 0 ? undefined : Math.max(...inside),
    uncompacted,
    lagP50S: lag(50),
    lagP99S: lag(99),
  };
}

export const rowHeader = ['interval', 'accepted/min', 'compacted/min', 'backlog mean', 'backlog max', 'uncompacted', 'lag p50', 'lag p99'];

export function rowCells(row: IntervalRow): string[] {
  const seconds = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(1)} s`);
  return [
    `${formatClock(row.fromS)}–${formatClock(row.toS)}`,
    millions(row.acceptedPerMinute),
    millions(row.compactedPerMinute),
    row.backlogMean?.toFixed(1) ?? '-',
    row.backlogMax === undefined ? '-' : String(row.backlogMax),
    millions(row.uncompacted),
    seconds(row.lagP50S),
    seconds(row.lagP99S),
  ];
}

export function millions(value: number): string {
  return `${(value / 1e6).toFixed(3)}M`;
}

function formatClock(seconds: number): string {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** A fixed-width table; numbers (cells that start with a digit, $ or -) are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  return [tableLine(header, widths), tableLine(widths.map((width) => '-'.repeat(width)), widths), ...rows.map((row) => tableLine(row, widths))].join('\n');
}

export function tableLine(cells: readonly string[], widths: readonly number[]): string {
  const numeric = (cell: string) => /^[-$\d]/.test(cell);
  return cells
    .map((cell, i) => (i > 0 && numeric(cell) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
    .join('  ')
    .trimEnd();
}

/** A Markdown table, to paste into docs as it is printed. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Column widths of the interval rows, fixed so that rows printed one at a time line up. */
export const rowWidths = [11, 12, 13, 12, 11, 11, 8, 8];

export interface PlotSeries {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
  dashed?: boolean;
}

export interface PlotPanel {
  title: string;
  unit: string;
  series: PlotSeries[];
  /** A horizontal line: a target or a limit. */
  guide?: { value: number; label: string };
}

/** Panels stacked vertically over a shared time axis (seconds since the start). */
export function renderSvg(title: string, panels: readonly PlotPanel[], endS: number, marks: ReadonlyArray<{ atS: number; label: string }> = []): string {
  const width = 900;
  const panelHeight = 220;
  const left = 80;
  const right = 180;
  const top = 40;
  const gap = 50;
  const plotWidth = width - left - right;
  const height = top + panels.length * (panelHeight + gap) + 10;
  const x = (seconds: number) => left + (plotWidth * seconds) / Math.max(1, endS);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, index) => {
    const y0 = top + index * (panelHeight + gap);
    const values = panel.series.flatMap((series) => series.points.map(([, value]) => value));
    const maxValue = niceCeiling(Math.max(1e-9, ...values, panel.guide?.value ?? 0) * 1.1);
    const y = (value: number) => y0 + panelHeight - (panelHeight * value) / maxValue;
    parts.push(`<text x="${left}" y="${y0 - 8}" font-size="13">${escapeXml(panel.title)} (${escapeXml(panel.unit)})</text>`);
    for (let tick = 0; tick <= 4; tick++) {
      const value = (maxValue * tick) / 4;
      parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y(value)}" y2="${y(value)}" stroke="#ddd"/>`);
      parts.push(`<text x="${left - 6}" y="${y(value) + 4}" text-anchor="end">${formatTick(value)}</text>`);
    }
    const step = [5, 10, 15, 30, 60, 120, 300, 600, 1200].find((seconds) => seconds >= endS / 10) ?? 3600;
    for (let seconds = 0; seconds <= endS; seconds += step) {
      parts.push(`<line x1="${x(seconds)}" x2="${x(seconds)}" y1="${y0}" y2="${y0 + panelHeight}" stroke="#eee"/>`);
      parts.push(`<text x="${x(seconds)}" y="${y0 + panelHeight + 15}" text-anchor="middle">${formatClock(seconds)}</text>`);
    }
    for (const mark of marks) {
      parts.push(`<line x1="${x(mark.atS)}" x2="${x(mark.atS)}" y1="${y0}" y2="${y0 + panelHeight}" stroke="#999" stroke-dasharray="2 3"/>`);
      if (index === 0) parts.push(`<text x="${x(mark.atS) + 3}" y="${y0 + 12}" fill="#666">${escapeXml(mark.label)}</text>`);
    }
    parts.push(`<rect x="${left}" y="${y0}" width="${plotWidth}" height="${panelHeight}" fill="none" stroke="#888"/>`);
    if (panel.guide !== undefined) {
      parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y(panel.guide.value)}" y2="${y(panel.guide.value)}" stroke="#c00" stroke-dasharray="6 4"/>`);
    }
    const legend: Array<[string, string, boolean]> = panel.series.map((series) => [series.name, series.color, series.dashed === true]);
    if (panel.guide !== undefined) legend.push([panel.guide.label, '#c00', true]);
    for (const series of panel.series) {
      const points = series.points.filter(([seconds]) => seconds >= 0 && seconds <= endS);
      if (points.length === 0) continue;
      const path = points.map(([seconds, value], i) => `${i === 0 ? 'M' : 'L'}${x(seconds).toFixed(1)},${y(value).toFixed(1)}`).join(' ');
      parts.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="1.8"${series.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    }
    legend.forEach(([name, color, dashed], i) => {
      const ly = y0 + 14 + i * 18;
      parts.push(`<line x1="${left + plotWidth + 12}" x2="${left + plotWidth + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
      parts.push(`<text x="${left + plotWidth + 42}" y="${ly}">${escapeXml(name)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const normalized = value / magnitude;
  const nice = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 2.5 ? 2.5 : normalized <= 5 ? 5 : 10;
  return nice * magnitude;
}

function formatTick(value: number): string {
  const short = (n: number) => String(Number(n.toFixed(2)));
  if (value >= 1e6) return `${short(value / 1e6)}M`;
  if (value >= 1e3) return `${short(value / 1e3)}k`;
  return short(value);
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

export interface LoadPlotInput {
  title: string;
  rows: readonly IntervalRow[];
  statusPoints: readonly StatusPoint[];
  targetRate: number;
  lagLimitS: number;
  endS: number;
  loadEndS: number;
}

/** The load benchmark's plot: throughput, backlog, samples not yet compacted, compaction lag. */
export function loadPlot(input: LoadPlotInput): string {
  const { rows, statusPoints } = input;
  const fromRows = (value: (row: IntervalRow) => number | undefined) =>
    rows.flatMap((row) => {
      const v = value(row);
      return v === undefined ? [] : [[(row.fromS + row.toS) / 2, v] as const];
    });
  const fromStatus = (value: (point: StatusPoint) => number) => statusPoints.map((point) => [point.at / 1000, value(point)] as const);
  return renderSvg(
    input.title,
    [
      {
        title: 'throughput',
        unit: 'samples per minute',
        series: [
          { name: 'accepted', color: '#1f77b4', points: fromRows((row) => row.acceptedPerMinute) },
          { name: 'compacted (L1)', color: '#2ca02c', points: fromRows((row) => row.compactedPerMinute), dashed: true },
        ],
        guide: { value: input.targetRate, label: 'target' },
      },
      {
        title: 'backlog',
        unit: 'items',
        series: [
          { name: 'backlog', color: '#9467bd', points: fromStatus((point) => point.backlog) },
          { name: 'pending segments', color: '#8c564b', points: fromStatus((point) => point.pendingSegments), dashed: true },
        ],
      },
      {
        title: 'accepted, not yet compacted',
        unit: 'samples',
        series: [{ name: 'uncompacted', color: '#17becf', points: fromStatus((point) => point.uncompacted) }],
      },
      {
        title: 'compaction lag',
        unit: 'seconds',
        series: [
          { name: 'p50', color: '#ff7f0e', points: fromRows((row) => row.lagP50S) },
          { name: 'p99', color: '#d62728', points: fromRows((row) => row.lagP99S) },
        ],
        guide: { value: input.lagLimitS, label: 'L0 age + 5 s' },
      },
    ],
    input.endS,
    [{ atS: input.loadEndS, label: 'load ends, drain' }],
  );
}
