import { MolarError } from '../errors.js';

/**
 * A typed key for a value one build step hands to later ones (`ctx.put` / `ctx.get` in
 * bundle/build.ts). The value type rides on the key, so a reader gets a `Matrix` or an
 * `ItemRecord[]` back without a cast.
 *
 * This file imports nothing from Node, so browser-safe stages (models/, items/) can declare keys.
 */
export interface Artifact<T> {
  /** `<step>` or `<step>/<part>`, e.g. "items", "item-vectors/float" */
  readonly name: string;
  /** the build step that puts it: the name up to the first "/" */
  readonly producer: string;
  /**
   * Type only, never set. A function type makes the key invariant in T, so
   * `ctx.put(FLOAT_ITEM_VECTORS, {})` fails to compile instead of widening T to `{}`.
   */
  readonly _value?: (v: T) => T;
}

/** `const FLOAT_ITEM_VECTORS = artifact<Matrix>('item-vectors/float')`, declared beside the step that puts it. */
export function artifact<T>(name: string): Artifact<T> {
  const producer = name.split('/')[0];
  if (!producer || name.endsWith('/')) throw new MolarError('BAD_CONFIG', `artifact name "${name}" must be "<step>" or "<step>/<part>"`, { field: 'artifact' });
  return Object.freeze({ name, producer });
}
