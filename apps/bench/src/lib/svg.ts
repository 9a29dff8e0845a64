/** A hand-written SVG chart: panels of grouped bars side by side, one shared legend. */

export interface Series {
  name: string;
  color: string;
}

export interface Panel {
  title: string;
  /** One array per series, one value per group. */
  values: number[][];
  /** How a value is printed above its bar and on the axis. */
  format: (value: number) => string;
  /** The axis top; the largest value (rounded up) when omitted. */
  max?: number;
}

export interface ChartSpec {
  title: string;
  subtitle: string;
  xLabel: string;
  groups: string[];
  series: Series[];
  panels: Panel[];
}

const xml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** A "nice" number (1, 2, 5 × 10^k, at least 1) at or above `value`. */
function niceCeil(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

export function groupedBarChart(spec: ChartSpec): string {
  const panelWidth = 400;
  const panelHeight = 260;
  const margin = { top: 104, left: 56, right: 24, bottom: 64, gap: 56 };
  const width =
    margin.left +
    spec.panels.length * panelWidth +
    (spec.panels.length - 1) * margin.gap +
    margin.right;
  const height = margin.top + panelHeight + margin.bottom;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<title id="chart-title">${xml(`${spec.title}: ${spec.subtitle}`)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    `<text x="${margin.left}" y="24" font-size="16" font-weight="600" fill="#111">${xml(spec.title)}</text>`,
  );
  out.push(`<text x="${margin.left}" y="44" fill="#555">${xml(spec.subtitle)}</text>`);
  // Legend.
  let lx = margin.left;
  for (const series of spec.series) {
    out.push(`<rect x="${lx}" y="54" width="12" height="12" fill="${series.color}"/>`);
    out.push(`<text x="${lx + 18}" y="64" fill="#222">${xml(series.name)}</text>`);
    lx += 18 + series.name.length * 7 + 28;
  }

  spec.panels.forEach((panel, p) => {
    const x0 = margin.left + p * (panelWidth + margin.gap);
    const y0 = margin.top;
    // Headroom above the tallest bar for its label; four ticks of a "nice" step.
    const top = panel.max ?? 4 * niceCeil((Math.max(...panel.values.flat(), 0) * 1.15) / 4);
    const y = (value: number) => y0 + panelHeight - (value / top) * panelHeight;
    out.push(
      `<text x="${x0 + panelWidth / 2}" y="${y0 - 24}" text-anchor="middle" font-weight="600" fill="#222">${xml(panel.title)}</text>`,
    );
    for (let t = 0; t <= 4; t++) {
      const value = (top * t) / 4;
      const ty = y(value);
      out.push(
        `<line x1="${x0}" y1="${ty}" x2="${x0 + panelWidth}" y2="${ty}" stroke="${t === 0 ? '#888' : '#e5e5e5'}"/>`,
      );
      out.push(
        `<text x="${x0 - 6}" y="${ty + 4}" text-anchor="end" fill="#666">${xml(panel.format(value))}</text>`,
      );
    }
    const groupWidth = panelWidth / spec.groups.length;
    const barWidth = Math.min(36, (groupWidth * 0.7) / spec.series.length);
    spec.groups.forEach((group, g) => {
      const gx = x0 + g * groupWidth + groupWidth / 2;
      spec.series.forEach((series, s) => {
        const value = panel.values[s]?.[g] ?? 0;
        const bx = gx - (spec.series.length * barWidth) / 2 + s * barWidth;
        const by = y(value);
        const bh = Math.max(value > 0 ? 1 : 0, y0 + panelHeight - by);
        out.push(
          `<rect x="${bx.toFixed(1)}" y="${(y0 + panelHeight - bh).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="${series.color}"><title>${xml(`${series.name}, ${group}: ${panel.format(value)}`)}</title></rect>`,
        );
        out.push(
          `<text x="${(bx + (barWidth - 2) / 2).toFixed(1)}" y="${(y0 + panelHeight - bh - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${xml(panel.format(value))}</text>`,
        );
      });
      out.push(
        `<text x="${gx}" y="${y0 + panelHeight + 18}" text-anchor="middle" fill="#222">${xml(group)}</text>`,
      );
    });
    out.push(
      `<text x="${x0 + panelWidth / 2}" y="${y0 + panelHeight + 40}" text-anchor="middle" fill="#555">${xml(spec.xLabel)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
