/**
 * A model's command-line flags as plain data, one row per config field, kept beside the model's
 * config so a new field gets its flag in the same change. models/ imports no CLI library:
 * cli/flag-table.ts registers a table with commander and turns parsed options into a partial config.
 */
export type ConfigFlag<C> = {
  /** the flag and its argument, commander style ('--max-len <n>'); a bool flag takes none */
  flag: string;
  /** the config field it sets */
  field: keyof C & string;
  help: string;
  /** the default `--help` shows, drawn from the model's defaults constant; absent where the help text says it (data-dependent ones) */
  default?: string | number;
} & (
  | { /** a positive integer */ kind: 'int' }
  | { kind: 'number'; /** refuse 0 and below */ positive?: boolean }
  | { kind: 'enum'; /** the config's own constant array of allowed values */ values: readonly string[] }
  | { /** '--x' sets true; '--no-x' sets false; absent leaves the field to its default */ kind: 'bool' }
);

/** The flag's name without its argument: '--max-len <n>' → '--max-len' (what errors name). */
export const flagName = (f: Pick<ConfigFlag<unknown>, 'flag'>): string => f.flag.split(' ')[0];
