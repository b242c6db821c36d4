/**
 * `ser report RUN_DIR [--out DIR] [--json] [--quiet]`
 *
 * Regenerates the training report of a run folder (made by `ser train`): training curves,
 * confusion heatmap and per-class bars (SVG + PNG), the quadratic curve fits with their readings,
 * a self-contained report.html and report.json (all numbers). Default output: RUN_DIR/report/.
 * Prints the protocol, the headline test metrics, the fit readings and the files written;
 * with --json, stdout is report.json's content instead.
 */
import type { Command } from 'commander';
import { join } from 'node:path';

interface ReportOptions {
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('write the training report (plots, curve fits, report.html, report.json) of a run folder')
    .argument('<run_dir>', 'run folder made by ser train (history.json, metrics.json, config.json, command.txt, bundle/)')
    .option('--out <dir>', 'output folder (default: RUN_DIR/report)')
    .option('--json', 'print report.json on stdout')
    .option('--quiet', 'print nothing but errors')
    .action(async (runDir: string, opts: ReportOptions) => {
      // Heavy modules (vega, resvg) load only when the command runs.
      const { loadRunDir } = await import('../../report/run-dir.js');
      const { renderReport } = await import('../../report/render.js');
      const { protocolLine } = await import('../../report/html.js');
      const summary = await loadRunDir(runDir);
      const outDir = opts.out ?? join(runDir, 'report');
      const { report, files } = await renderReport(summary, outDir);
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      if (opts.quiet) return;
      const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
      const lines = [`protocol: ${protocolLine(report.run.protocol)}`];
      for (const p of report.parts) {
        if (p.test) lines.push(`${p.name}: n ${p.test.n}  accuracy ${pct(p.test.accuracy)}  UAR ${pct(p.test.uar)}  macro-F1 ${pct(p.test.macro_f1)}`);
      }
      if (report.aggregate) {
        const a = report.aggregate;
        const ms = (m: number, s: number) => `${(100 * m).toFixed(1)} ± ${(100 * s).toFixed(1)}%`;
        lines.push(`mean ± std over ${a.k} folds: accuracy ${ms(a.mean.accuracy, a.std.accuracy)}  UAR ${ms(a.mean.uar, a.std.uar)}  macro-F1 ${ms(a.mean.macro_f1, a.std.macro_f1)}`);
      }
      for (const p of report.parts) {
        const prefix = report.parts.length > 1 ? `${p.name}: ` : '';
        for (const f of [p.fits.train_loss, p.fits.val_loss, p.fits.train_acc, p.fits.val_acc]) lines.push(`${prefix}${f.reading}`);
      }
      lines.push(`wrote ${files.length} files to ${outDir} (report.html, report.json, plots)`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
