import type { UsageReport } from '../api';
import { h, replace, svg } from '../dom';
import { language, t } from '../i18n';
import { adminApi, call } from '../session';
import { loadInto } from '../ui';

/** How many months the monthly chart covers, this one included. */
const MONTHS = 6;

interface Month {
  label: string;
  from: string;
  to: string;
}

/** A calendar day as `YYYY-MM-DD`, from a date whose UTC fields hold it. */
function iso(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Months are Vietnam's, as the report counts them, wherever the browser is. */
function lastMonths(now: Date): Month[] {
  const vietnam = new Date(now.getTime() + 7 * 3600 * 1000);
  const year = vietnam.getUTCFullYear();
  const month = vietnam.getUTCMonth();
  const months: Month[] = [];
  for (let back = MONTHS - 1; back >= 0; back--) {
    const first = new Date(Date.UTC(year, month - back, 1));
    const last = back === 0 ? vietnam : new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
    months.push({
      label: `${String(first.getUTCMonth() + 1).padStart(2, '0')}/${first.getUTCFullYear()}`,
      from: iso(first),
      to: iso(last),
    });
  }
  return months;
}

interface Series {
  name: string;
  css: string;
  values: number[];
}

/** Grouped vertical bars, one group per label, drawn as SVG (no inline style: classes only). */
function barChart(labels: string[], series: Series[], testid: string): HTMLElement {
  const width = 640;
  const height = 260;
  const pad = { left: 40, right: 10, top: 10, bottom: 30 };
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const group = plotW / labels.length;
  const bar = (group * 0.8) / series.length;
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'data-testid': testid });
  for (const tick of [0, Math.ceil(max / 2), max]) {
    chart.append(
      svg('line', { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: 'grid' }),
      svg('text', { x: pad.left - 6, y: y(tick) + 4, class: 'axis', 'text-anchor': 'end' }, tick),
    );
  }
  labels.forEach((label, i) => {
    const x0 = pad.left + i * group + group * 0.1;
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      chart.append(
        svg('rect', { x: x0 + j * bar, y: y(v), width: Math.max(1, bar - 2), height: pad.top + plotH - y(v), class: `bar ${s.css}` }, svg('title', {}, `${label} · ${s.name}: ${v}`)),
      );
    });
    chart.append(svg('text', { x: x0 + (bar * series.length) / 2, y: height - 10, class: 'axis', 'text-anchor': 'middle' }, label));
  });
  const legend = h('div', { class: 'legend' }, ...series.map((s) => h('span', {}, h('i', { class: `swatch ${s.css}` }), s.name)));
  return h('figure', {}, chart, legend);
}

export async function reportPage(main: HTMLElement): Promise<void> {
  replace(main, h('h1', {}, t('report')), t('loading'));
  const months = lastMonths(new Date());
  const reports = await loadInto(main, h('h1', {}, t('report')), () =>
    Promise.all(months.map((m) => call(() => adminApi.usageReport({ from: m.from, to: m.to })))),
  );
  if (!reports) return;
  const total = (r: UsageReport, key: 'sent' | 'received' | 'signed') => r.organizations.reduce((n, o) => n + o[key], 0);
  const monthly = barChart(
    months.map((m) => m.label),
    [
      { name: t('sent'), css: 'sent', values: reports.map((r) => total(r, 'sent')) },
      { name: t('received'), css: 'received', values: reports.map((r) => total(r, 'received')) },
      { name: t('signed'), css: 'signed', values: reports.map((r) => total(r, 'signed')) },
    ],
    'chart-months',
  );
  // What waits now is the same in every period's report: take the current month's.
  const leaders = reports[reports.length - 1].organizations.flatMap((o) => o.leaders);
  const workload = barChart(
    leaders.map((l) => l.fullName.split(' ').slice(-2).join(' ')),
    [
      { name: t('waiting'), css: 'waiting', values: leaders.map((l) => l.waiting) },
      { name: t('overdue'), css: 'overdue', values: leaders.map((l) => l.overdue) },
    ],
    'chart-leaders',
  );
  const period = `${months[0].from} → ${months[months.length - 1].to}`;
  replace(
    main,
    h('h1', {}, t('report')),
    h('p', { lang: language() }, period),
    h('section', { class: 'card' }, h('h2', {}, t('months')), monthly),
    h('section', { class: 'card' }, h('h2', {}, t('workload')), leaders.length ? workload : t('nothing')),
  );
}
