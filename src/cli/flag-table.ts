import { Option, type Command } from 'commander';
import { MolarError } from '../errors.js';
import { flagName, type ConfigFlag } from '../models/flags.js';
import { positiveInt } from './data-options.js';

/**
 * Registers a model's flag table (models/<model>/flags.ts) on `cmd` and returns the function that
 * turns the parsed options into a partial config: only flags given on the command line appear in
 * it. A bad value is a BAD_INPUT error naming the flag, at parse time; ranges the table does not
 * know are the config resolver's (BAD_CONFIG naming the field).
 */
export function addFlagTable<C>(cmd: Command, table: readonly ConfigFlag<C>[]): (opts: Record<string, unknown>) => Partial<C> {
  const keys: [attribute: string, row: ConfigFlag<C>][] = [];
  for (const row of table) {
    // shown, not set: a commander default would make every flag look given and override the config's own
    const opt = new Option(row.flag, row.default === undefined ? row.help : `${row.help} (default: ${row.default})`);
    if (row.kind !== 'bool') opt.argParser((v: string) => parseFlag(row, v));
    cmd.addOption(opt);
    keys.push([opt.attributeName(), row]);
  }
  return (opts) => {
    const out: Partial<Record<string, unknown>> = {};
    for (const [attr, row] of keys) {
      const v = opts[attr];
      // commander gives a '--no-x' flag the default true; only the flag itself (false) is a choice
      if (row.kind === 'bool' ? v === !flagName(row).startsWith('--no-') : v !== undefined) out[row.field] = v;
    }
    return out as Partial<C>;
  };
}

function parseFlag<C>(row: ConfigFlag<C>, v: string): unknown {
  const name = flagName(row);
  if (row.kind === 'int') return positiveInt(v, name);
  if (row.kind === 'enum') {
    if (!row.values.includes(v)) throw new MolarError('BAD_INPUT', `expected one of ${row.values.join(', ')}, got ${JSON.stringify(v)}`, { field: name });
    return v;
  }
  return parseNumber(v, name, row.kind === 'number' && row.positive);
}

/** A finite number (positive, if asked) or BAD_INPUT naming `flag`. */
export function parseNumber(v: string, flag: string, positive = false): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (positive && n <= 0)) throw new MolarError('BAD_INPUT', `expected a ${positive ? 'positive ' : ''}number, got ${JSON.stringify(v)}`, { field: flag });
  return n;
}
