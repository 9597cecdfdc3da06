/** Served by Vite to widget-failures.spec.ts: <molar-recs> and the widget module's functions, each made to fail. */
import { isMolarError } from '../../src/errors.js';
import { configFromAttributes, recommenderFor, setWidgetDefaults } from '../../src/widget/index.js';
import type { MolarRecs } from '../../src/widget/molar-recs.js';

/** The code of a MolarError, else what it was (a raw TypeError would show here as "TypeError: …"). */
const codeOf = (e: unknown) => (isMolarError(e) ? e.code : `${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}`);

/** A <molar-recs> with these attributes: the code of the error its molar-error carries, or "ready". */
export function mount(attrs: Record<string, string>): Promise<string> {
  const el = document.createElement('molar-recs') as MolarRecs;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  const settled = new Promise<string>((resolve) => {
    el.addEventListener('molar-error', (e) => resolve(codeOf((e as CustomEvent).detail.error)), { once: true });
    el.addEventListener('molar-ready', () => resolve('ready'), { once: true });
  });
  document.body.append(el);
  return settled.finally(() => el.remove());
}

/** el.record(event) on a widget of `bundle`: "resolved" or the rejection's code. */
export async function record(bundle: string, event: unknown): Promise<string> {
  const el = document.createElement('molar-recs') as MolarRecs;
  el.setAttribute('bundle', bundle);
  el.setAttribute('backend', 'cpu');
  document.body.append(el);
  try {
    await el.record(event as never);
    return 'resolved';
  } catch (e) {
    return codeOf(e);
  } finally {
    el.remove();
  }
}

/** The module's own functions: the code each throws or rejects with. */
export async function functions(): Promise<Record<string, string>> {
  const attempt = async (f: () => unknown) => {
    try {
      await f();
      return 'no error';
    } catch (e) {
      return codeOf(e);
    }
  };
  return {
    'recommenderFor without a bundle URL': await attempt(() => recommenderFor('')),
    'recommenderFor with a config section that does not exist': await attempt(() => recommenderFor('/bundles/demo/', 'cpu', { config: { nope: {} } as never })),
    'setWidgetDefaults with an empty wasm path': await attempt(() => setWidgetDefaults({ runtime: { ortWasmPath: '' } })),
    'configFromAttributes with a config that is an array': await attempt(() => configFromAttributes((n) => (n === 'config' ? '[1,2]' : null))),
  };
}
