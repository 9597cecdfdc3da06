import { resolveConfig, type DeepPartial, type MolarConfig } from '../config.js';
import { isMolarError, MolarError } from '../errors.js';

/**
 * The attributes of <molar-recs> that set one config field each: where its files are served
 * from when they are not where the defaults say (a CDN folder, a sub-path of the shop). Relative
 * values resolve against the page, as any HTML attribute URL does.
 */
export const PATH_ATTRIBUTES = Object.freeze({
  /** folder of tfjs-backend-wasm's .wasm files (the wasm backend) */
  'tfjs-wasm-path': ['runtime', 'tfjsWasmPath'],
  /** folder of onnxruntime-web's .mjs / .wasm (hf-* cold-start encoders only) */
  'ort-wasm-path': ['runtime', 'ortWasmPath'],
  /** folder of the cold-start encoder models (<base><encoder id>/) */
  'model-base-url': ['encoders', 'modelBaseUrl'],
} as const satisfies Record<string, readonly [keyof MolarConfig, string]>);

/**
 * Boolean attributes that set one config field each: present (`allow-remote-images`, or `="true"`)
 * is true, `="false"` is false, anything else is refused.
 */
export const FLAG_ATTRIBUTES = Object.freeze({
  /** show catalog images on other origins than the page's and the bundle's (a CDN); default only those two */
  'allow-remote-images': ['items', 'allowRemoteImages'],
} as const satisfies Record<string, readonly [keyof MolarConfig, string]>);

/** Every attribute that changes the Recommender's config: `config` (JSON), the path and the flag attributes. */
export const CONFIG_ATTRIBUTES: readonly string[] = Object.freeze(['config', ...Object.keys(PATH_ATTRIBUTES), ...Object.keys(FLAG_ATTRIBUTES)]);

let defaults: DeepPartial<MolarConfig> = {};

/**
 * Defaults under every element's attributes. The script-tag build (src/widget/index.ts) sets its
 * wasm folders here, next to molar-recs.js, so a shop that serves dist/widget/ as a whole needs no
 * attribute at all.
 */
export function setWidgetDefaults(config: DeepPartial<MolarConfig>): void {
  resolveConfig(config); // refused here, not on the first element
  defaults = config;
}

function mergeSections(into: Record<string, Record<string, unknown>>, from: object): void {
  for (const [section, fields] of Object.entries(from)) {
    // not an object: left for resolveConfig to refuse with its own message
    const value = typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? { ...(Object.hasOwn(into, section) ? into[section] : {}), ...fields } : fields;
    // defined, not assigned: `into["__proto__"] = …` (a JSON key like any other) would set the
    // object's prototype, and resolveConfig would never see the section to refuse it
    Object.defineProperty(into, section, { value, enumerable: true, writable: true, configurable: true });
  }
}

/**
 * The config an element asks for: the widget defaults, then the `config` attribute (a JSON partial
 * MolarConfig, e.g. `{"runtime":{"fallbackOrder":["wasm","cpu"]}}`), then each path attribute. It is
 * checked here, so a bad value is a BAD_CONFIG error naming the attribute it came from.
 */
export function configFromAttributes(attr: (name: string) => string | null): DeepPartial<MolarConfig> {
  const out: Record<string, Record<string, unknown>> = {};
  mergeSections(out, defaults);
  const json = attr('config');
  if (json !== null && json.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new MolarError('BAD_CONFIG', `the config attribute is not JSON (${(e as Error).message})`, { field: 'config', cause: e });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new MolarError('BAD_CONFIG', `the config attribute must be a JSON object of config sections, got ${json}`, { field: 'config' });
    }
    mergeSections(out, parsed);
  }
  const fromAttribute = new Map<string, string>();
  for (const [name, [section, field]] of Object.entries(PATH_ATTRIBUTES)) {
    const value = attr(name);
    if (value === null) continue;
    (out[section] = Object.hasOwn(out, section) ? out[section] : {})[field] = value;
    fromAttribute.set(`${section}.${field}`, name);
  }
  for (const [name, [section, field]] of Object.entries(FLAG_ATTRIBUTES)) {
    const value = attr(name);
    if (value === null) continue;
    const v = value.trim().toLowerCase();
    if (v !== '' && v !== 'true' && v !== 'false' && v !== name) {
      throw new MolarError('BAD_CONFIG', `attribute ${name}: expected it present (or "true") or "false", got ${JSON.stringify(value)}`, { field: `${section}.${field}` });
    }
    (out[section] = Object.hasOwn(out, section) ? out[section] : {})[field] = v !== 'false';
  }
  try {
    resolveConfig(out as DeepPartial<MolarConfig>);
  } catch (e) {
    if (!isMolarError(e, 'BAD_CONFIG')) throw e;
    const name = (e.field && fromAttribute.get(e.field)) ?? (json !== null ? 'config' : undefined);
    throw name ? new MolarError('BAD_CONFIG', `attribute ${name}: ${e.message}`, { cause: e }) : e;
  }
  return out as DeepPartial<MolarConfig>;
}
