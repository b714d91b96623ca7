import type { TopLevelSpec } from 'vega-lite';
import { COMPRESS_NAMES, DEFAULTS, ENGINE_NAMES, SERIALIZER_NAMES } from '../src/options.js';
import { SWEEP_ENGINE } from './profile-design.js';
import type { BenchResults } from './results.js';

/** The font every figure names; bench/figures.ts hands resvg the system's fonts and this family as the default. */
export const FIGURE_FONT = 'DejaVu Sans';

type Case = BenchResults['cases'][number];
type Row = Record<string, string | number | null>;

const CONFIG = {
  font: FIGURE_FONT,
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 15, anchor: 'start' as const, subtitleFontSize: 11, subtitleColor: '#555' },
};

const WRITE_OPS = new Set(['set', 'set-many', 'set-sync']);
const PHASES = ['write', 'get', 'iterate'] as const;

/** The profile cases (suite `profiles`), with `write` for whichever way the case filled its stash. */
function profileRows(results: BenchResults): (Row & { profile: string; phase: string; workload: string })[] {
  const cases = results.cases.filter((c) => c.suite === 'profiles' && c.opsPerSec);
  const fillNotes = new Map<string, Case['notes']>();
  for (const c of cases) if (WRITE_OPS.has(c.op)) fillNotes.set(`${c.group}/${c.subject}`, c.notes);
  return cases.flatMap((c) => {
    const phase = WRITE_OPS.has(c.op) ? 'write' : c.op;
    if (!(PHASES as readonly string[]).includes(phase)) return [];
    const [engine, serializer, codec] = c.subject.split('.') as [string, string, string];
    const notes = fillNotes.get(`${c.group}/${c.subject}`) ?? {};
    const stored = notes['stored B/entry'];
    return [
      {
        profile: c.subject,
        engine,
        serializer,
        codec,
        workload: c.group,
        phase,
        op: c.op,
        median: c.opsPerSec!.median,
        min: c.opsPerSec!.min,
        max: c.opsPerSec!.max,
        stored: typeof stored === 'number' ? stored : null,
        disk: typeof notes['disk B/entry'] === 'number' ? notes['disk B/entry'] : null,
        rss: typeof notes['peak RSS MiB'] === 'number' ? notes['peak RSS MiB'] : null,
      },
    ];
  });
}

const opsAxis = (title: string) => ({
  field: 'median',
  type: 'quantitative' as const,
  title,
  stack: null,
  scale: { type: 'log' as const },
  axis: { format: '~s' },
});

function subtitle(results: BenchResults, what: string): string[] {
  const { machine } = results;
  return [
    what,
    `${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; medians, bars = min-max over rounds`,
  ];
}

/** Each engine with the default serializer and codec: write, get and iterate, both workloads. */
export function enginesFigure(results: BenchResults): TopLevelSpec | undefined {
  const { serializer, compress } = DEFAULTS;
  const rows = profileRows(results).filter((row) => row.serializer === serializer && row.codec === compress);
  if (rows.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Engines compared',
      subtitle: subtitle(
        results,
        `hashstash through its facade, ${serializer} serializer, ${compress}; operations per second (log scale)`,
      ),
    },
    data: { values: rows },
    facet: { row: { field: 'workload', type: 'nominal', title: null, sort: ['small', 'large'] } },
    spec: {
      width: 520,
      height: { step: 12 },
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: opsAxis('operations per second'),
            color: { field: 'phase', type: 'nominal', sort: [...PHASES], title: 'operation' },
          },
        },
        {
          mark: { type: 'rule', color: '#333' },
          encoding: { x: { field: 'min', type: 'quantitative', scale: { type: 'log' } }, x2: { field: 'max' } },
        },
      ],
      encoding: {
        y: { field: 'engine', type: 'nominal', sort: [...ENGINE_NAMES], title: null },
        yOffset: { field: 'phase', type: 'nominal', sort: [...PHASES] },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: CONFIG,
  };
}

/** Speed against stored size for each value of one setting on the sweep engine: the serializer or the codec. */
function sweepFigure(results: BenchResults, setting: 'serializer' | 'codec', title: string): TopLevelSpec | undefined {
  const { serializer, compress } = DEFAULTS;
  const rows = profileRows(results).filter(
    (row) =>
      row.engine === SWEEP_ENGINE &&
      (setting === 'serializer' ? row.codec === compress : row.serializer === serializer) &&
      row.phase !== 'iterate' &&
      row.stored !== null,
  );
  if (rows.length === 0) return undefined;
  const point = {
    x: {
      field: 'stored',
      type: 'quantitative' as const,
      title: 'stored bytes per entry (value + header)',
      scale: { zero: false },
      axis: { format: '~s' },
    },
    y: opsAxis('operations per second'),
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: title,
      subtitle: subtitle(results, `on ${SWEEP_ENGINE}, the other settings at their defaults; up and left is better`),
    },
    data: { values: rows },
    facet: {
      row: { field: 'workload', type: 'nominal', title: null, sort: ['small', 'large'] },
      column: { field: 'phase', type: 'nominal', title: null, sort: ['write', 'get'] },
    },
    spec: {
      width: 300,
      height: 220,
      layer: [
        {
          mark: { type: 'point', filled: true, size: 70 },
          encoding: { ...point, color: { field: setting, type: 'nominal', legend: null } },
        },
        {
          mark: { type: 'rule' },
          encoding: {
            x: { field: 'stored', type: 'quantitative' },
            y: { field: 'min', type: 'quantitative', scale: { type: 'log' } },
            y2: { field: 'max' },
            color: { field: setting, type: 'nominal', legend: null },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 10 },
          encoding: { ...point, text: { field: setting === 'serializer' ? 'serializer' : 'codec' } },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    config: CONFIG,
  };
}

export const serializersFigure = (results: BenchResults) =>
  sweepFigure(results, 'serializer', 'Serializers: speed against size');
export const codecsFigure = (results: BenchResults) => sweepFigure(results, 'codec', 'Codecs: speed against size');

/** The full grid on the small workload: one cell per combination, coloured by operations per second. */
export function gridFigure(results: BenchResults): TopLevelSpec | undefined {
  const rows = profileRows(results)
    .filter((row) => row.workload === 'small')
    .map((row) => ({ ...row, setup: `${row.engine} · ${row.serializer}` }));
  if (rows.length === 0) return undefined;
  const codecs = COMPRESS_NAMES.flatMap((name) => [name, `${name}+b64`]);
  const setups = ENGINE_NAMES.flatMap((engine) => SERIALIZER_NAMES.map((serializer) => `${engine} · ${serializer}`));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'All together: engine × serializer × codec',
      subtitle: subtitle(
        results,
        'small workload, operations per second (colour, log scale) for each combination; blank = not measured',
      ),
    },
    data: { values: rows },
    facet: { column: { field: 'phase', type: 'nominal', title: null, sort: [...PHASES] } },
    spec: {
      width: { step: 26 },
      height: { step: 16 },
      layer: [
        {
          mark: { type: 'rect' },
          encoding: {
            color: {
              field: 'median',
              type: 'quantitative',
              title: 'ops/s',
              scale: { type: 'log', scheme: 'viridis' },
              legend: { format: '~s' },
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 7, color: 'white' },
          encoding: { text: { field: 'median', type: 'quantitative', format: '.2~s' } },
        },
      ],
      encoding: {
        x: { field: 'codec', type: 'nominal', sort: codecs, title: null, axis: { labelAngle: -50 } },
        y: { field: 'setup', type: 'nominal', sort: setups, title: null },
      },
    },
    resolve: { scale: { color: 'independent' } },
    config: CONFIG,
  };
}

/** Suites whose ratios against peers the peers plot shows: ttl-servers compares redis with ttl against keyv + @keyv/redis. */
const PEER_SUITES = new Set(['peers', 'ttl-servers']);

/** hashstash against its peers: the headline ratios of the peers suite (and across suites), with their targets. */
export function peersFigure(results: BenchResults): TopLevelSpec | undefined {
  const rows = results.figures
    .filter((figure) => PEER_SUITES.has(figure.suite) && figure.ratio && figure.unit !== 'ops/s')
    .map((figure) => ({
      name: figure.name,
      ratio: figure.ratio!.median,
      min: figure.ratio!.min,
      max: figure.ratio!.max,
      target: figure.target ?? null,
      verdict: figure.verdict,
    }));
  if (rows.length === 0) return undefined;
  const y = {
    field: 'name',
    type: 'nominal' as const,
    sort: null,
    title: null,
    axis: { labelLimit: 1000, labelFontSize: 10 },
  };
  const x = { type: 'quantitative' as const, scale: { type: 'log' as const } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'hashstash against its peers',
      subtitle: subtitle(
        results,
        'ratio = hashstash ops/s ÷ peer ops/s, median of per-round ratios (log scale); right of 1 = hashstash faster; ticks = targets',
      ),
    },
    data: { values: rows },
    width: 360,
    height: { step: 16 },
    encoding: { y },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'ratio', ...x, stack: null, title: 'ratio (×)', axis: { format: '~g' } },
          color: {
            field: 'verdict',
            type: 'nominal',
            scale: { domain: ['PASS', 'FAIL', 'INFO'], range: ['#4c9a2a', '#c0392b', '#7f8c8d'] },
          },
        },
      },
      { mark: { type: 'rule', color: '#333' }, encoding: { x: { field: 'min', ...x }, x2: { field: 'max' } } },
      { mark: { type: 'tick', color: 'black', thickness: 2 }, encoding: { x: { field: 'target', ...x } } },
      {
        data: { values: [{ one: 1 }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#333' },
        encoding: { x: { field: 'one', ...x }, y: null },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

/** The figures, by file name (without extension), in the order the README shows them. */
export const FIGURES = {
  engines: enginesFigure,
  serializers: serializersFigure,
  codecs: codecsFigure,
  grid: gridFigure,
  peers: peersFigure,
} as const;
