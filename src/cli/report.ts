import path from 'node:path';
import type { BuildReport } from '../eval/choose-step-node.js';

/**
 * Where `molar build --out dir` writes its report: `dir.report.json`, beside the bundle folder, not
 * in it, so deploying the folder never ships the evaluation to shoppers.
 */
export function reportPath(out: string): string {
  const abs = path.resolve(out);
  return `${abs.replace(/[\\/]+$/, '')}.report.json`;
}

/** The build report as a plain-text table, the one an ML engineer pastes into a ticket. */
export function formatReport(r: BuildReport): string {
  const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(4));
  const head = ['model', 'valid NDCG@10', 'valid Recall@10', 'test NDCG@10', 'test Recall@10', 'train min', ''];
  const rows = r.candidates.map((c) => [
    c.parts ? `${c.model} (${c.parts.map((p) => `${p.kind} ${p.weight}`).join(' + ')})` : c.model,
    f(c.valid['ndcg@10']),
    f(c.valid['recall@10']),
    f(c.test?.['ndcg@10']),
    f(c.test?.['recall@10']),
    c.trainMinutes.toFixed(1),
    c.served ? '← served' : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const p = r.protocol;
  return [
    `build report: ${r.bundle} (${r.data.users} users, ${r.data.items} items, ${r.data.interactions} interactions; fitted on ${r.data.trainedOn})`,
    `full ranking, seen items ${p.filterSeen ? 'removed' : 'kept'}; chosen on validation (${p.validUsers} users)${p.testUsers !== undefined ? `, test reported (${p.testUsers} users)` : ''}`,
    line(head),
    ...rows.map(line),
    `served: ${r.served.kind}: ${r.served.reason}`,
    ...(r.testNote ? [r.testNote] : []),
    '',
  ].join('\n');
}
