import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { flagName } from '../models/flags.js';
import { resolveSasrecConfig, SASREC_DEFAULTS } from '../models/sasrec/config.js';
import { SASREC_FLAGS } from '../models/sasrec/flags.js';
import { ADAPTIVE_RULES } from '../models/sasrec/adaptive.js';
import { addFlagTable } from './flag-table.js';
import * as train from './commands/train.js';

/** Every SASRec config flag `molar train` had before the table, and the field each one set. */
const BEFORE: Record<string, string> = {
  '--loss': 'loss', '--negatives': 'numNegatives', '--max-len': 'maxLen', '--hidden': 'hidden', '--ffn-inner': 'ffnInner', '--blocks': 'blocks',
  '--heads': 'heads', '--block': 'block', '--init': 'init', '--positions': 'positions', '--epochs': 'maxEpochs', '--patience': 'patience',
  '--batch-size': 'batchSize', '--lr': 'learningRate', '--lr-schedule': 'lrSchedule', '--warmup-steps': 'warmupSteps', '--seed': 'seed',
  '--dropout': 'dropout', '--no-repeat-bias': 'repeatBias',
};

function parse(argv: string[]) {
  const cmd = new Command().exitOverride();
  const configOf = addFlagTable(cmd, SASREC_FLAGS);
  cmd.parse(argv, { from: 'user' });
  return configOf(cmd.opts());
}
const fieldOfError = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return isMolarError(e, 'BAD_INPUT') ? (e.field ?? '?') : `other: ${(e as Error).message}`;
  }
  return 'none';
};

describe('SASREC_FLAGS', () => {
  it('maps exactly the flags the CLI had onto the same config fields', () => {
    expect(Object.fromEntries(SASREC_FLAGS.map((f) => [flagName(f), f.field]))).toEqual(BEFORE);
  });

  it('names every allowed value of each enum flag in its help, and takes the values from config.ts', () => {
    for (const f of SASREC_FLAGS) if (f.kind === 'enum') for (const v of f.values) expect(f.help, flagName(f)).toContain(v);
    const loss = SASREC_FLAGS.find((f) => f.field === 'loss')!;
    expect(loss.kind === 'enum' && loss.values).toEqual(['bce', 'gbce', 'ce', 'sampled-ce']);
  });

  it('turns a sample argv into the partial config, only with the flags given, that the config resolves', () => {
    const config = parse(['--max-len', '50', '--loss', 'gbce', '--negatives', '64', '--lr', '0.002', '--dropout', '0', '--block', 'pre-ln', '--epochs', '3', '--no-repeat-bias']);
    expect(config).toEqual({ maxLen: 50, loss: 'gbce', numNegatives: 64, learningRate: 0.002, dropout: 0, block: 'pre-ln', maxEpochs: 3, repeatBias: false });
    expect(parse([])).toEqual({});
    const resolved = resolveSasrecConfig({ ...config, numItems: 100 });
    expect([resolved.maxLen, resolved.numNegatives, resolved.hidden]).toEqual([50, 64, 64]);
  });

  it('refuses a bad value with BAD_INPUT naming the flag', () => {
    expect(fieldOfError(() => parse(['--loss', 'mse']))).toBe('--loss');
    expect(fieldOfError(() => parse(['--hidden', '0']))).toBe('--hidden');
    expect(fieldOfError(() => parse(['--batch-size', '2.5']))).toBe('--batch-size');
    expect(fieldOfError(() => parse(['--lr', '-1']))).toBe('--lr');
    expect(fieldOfError(() => parse(['--dropout', 'lots']))).toBe('--dropout');
    expect(fieldOfError(() => parse(['--positions', 'from-middle']))).toBe('--positions');
  });

  it('is what `molar train` registers, next to its run flags', () => {
    const program = new Command();
    train.register(program);
    const longs = program.commands[0].options.map((o) => o.long);
    for (const f of Object.keys(BEFORE)) expect(longs).toContain(f);
    for (const f of ['--minutes', '--workers', '--keep-seen', '--no-position-weighting', '--weight-average', '--bundle', '--interactions']) expect(longs).toContain(f);
  });
});

describe('--help shows the defaults', () => {
  it('each row with a default shows the config default in its help, and parsing no flags still sets nothing', () => {
    const cmd = new Command();
    addFlagTable(cmd, SASREC_FLAGS);
    const help = cmd.helpInformation().replace(/\s+/g, ' ');
    const d = SASREC_DEFAULTS;
    for (const [flag, value] of [['--hidden <n>', d.hidden], ['--epochs <n>', d.maxEpochs], ['--blocks <n>', d.blocks], ['--seed <n>', d.seed]] as const) {
      expect(help).toMatch(new RegExp(`${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*?\\(default: ${String(value).replace('.', '\\.')}\\)`));
    }
    // the settings derived from the data say so, with the rule's numbers (models/sasrec/adaptive.ts)
    expect(help).toContain(`--loss <loss> bce | gbce | ce | sampled-ce (default: from the data: ce up to ${ADAPTIVE_RULES.fullSoftmaxItems} items, else sampled-ce)`);
    expect(help).toContain(`(default: from the data: 32 below ${ADAPTIVE_RULES.smallBatchBelow} users, else 64)`);
    expect(help).toContain(`(default: ${d.patience}; 100 with --minutes`);
    expect(help).toContain('3000 for sampled-ce');
    expect(parse([])).toEqual({});
  });
});
