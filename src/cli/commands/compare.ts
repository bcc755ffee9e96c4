/**
 * `lift compare`: runs the library's compare and writes report.json, report.md and report.html
 * after each method, so an interrupted compare leaves the finished methods readable.
 */
import { join } from 'node:path';
import { type CompareContext, type CompareOptions, type CompareReport, compare } from '../../index.js';
import { ReportWriter, formatTable } from '../report/index.js';
import { CliTrainingLogger } from '../training-logger.js';

export async function compareCommand(o: CompareOptions, context: Pick<CompareContext, 'registry' | 'command'> = {}): Promise<CompareReport> {
  const writer = ReportWriter.open(o.out, { force: o.force });
  const say = (text: string) => process.stderr.write(`${text}\n`);
  const report = await compare(o, {
    ...context,
    log: say,
    onUpdate: (r) => writer.write(r),
    logger: (label, dir) => new CliTrainingLogger({ label, logFile: join(dir, 'train.jsonl'), printEvery: o.quiet ? 0 : 25 }),
  });
  say('');
  process.stdout.write(formatTable(report) + '\n');
  say(`\nwrote ${join(o.out, 'report.md')}, report.html and report.json`);
  return report;
}
