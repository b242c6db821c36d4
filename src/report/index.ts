/** Training reports: plots (vega → SVG → PNG), quadratic curve fits, HTML + JSON report. */
export * from './types.js';
export * from './fit.js';
export * from './plots.js';
export * from './build.js';
export * from './html.js';
export { renderReport, type RenderOptions, type RenderResult } from './render.js';
export { loadRunDir, parseHistoryEntries } from './run-dir.js';
