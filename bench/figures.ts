// Draws the benchmark figures from a saved results file, without running anything:
//   npm run build && node dist/bench/figures.js [bench/results/latest.json]
// (or `npm run bench -- --figures-only [--results <file>]`). Writes figures/<name>.svg and figures/<name>.png.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIGURE_FONT, FIGURES } from './figure-specs.js';
import { RESULTS_DIR, type BenchResults } from './results.js';

/** figures/ in the source tree (this file runs from dist/bench/). */
export const FIGURES_DIR = fileURLToPath(new URL('../../figures/', import.meta.url));

/** Where Debian, Ubuntu, Fedora and macOS keep the fonts resvg is pointed at, besides what fontconfig finds. */
const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', '/System/Library/Fonts', '/Library/Fonts'];

/** PNGs are drawn at twice the SVG's size, for screens with dense pixels. */
const PNG_ZOOM = 2;

async function toSvg(spec: object): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  // vega-lite warns about every faceted figure with independent scales; errors still throw.
  const compiled = vegaLite.compile(spec as Parameters<typeof vegaLite.compile>[0], {
    logger: vega.logger(vega.Error),
  }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

async function toPng(svg: string): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const fontDirs = FONT_DIRS.filter((dir) => existsSync(dir));
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: PNG_ZOOM },
    font: { loadSystemFonts: true, fontDirs, defaultFontFamily: FIGURE_FONT, sansSerifFamily: FIGURE_FONT },
  });
  return resvg.render().asPng();
}

/** Draws every figure the results have data for; returns the files written. */
export async function drawFigures(
  resultsFile = join(RESULTS_DIR, 'latest.json'),
  outDir = FIGURES_DIR,
): Promise<string[]> {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as BenchResults;
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, build] of Object.entries(FIGURES)) {
    const spec = build(results);
    if (!spec) continue;
    const svg = await toSvg(spec);
    const svgFile = join(outDir, `${name}.svg`);
    const pngFile = join(outDir, `${name}.png`);
    writeFileSync(svgFile, svg);
    writeFileSync(pngFile, await toPng(svg));
    written.push(svgFile, pngFile);
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  drawFigures(process.argv[2]).then(
    (files) => console.log(files.join('\n')),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
