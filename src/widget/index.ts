/**
 * Script-tag entry: `<script type="module" src="/molar-recs.js">` defines <molar-recs>. Also the
 * package's `molar-web/widget` export, where a bundler compiles it into the shop's own app.
 */
import { setWidgetDefaults } from './attributes.js';
import { defineMolarRecs } from './molar-recs.js';

export { MolarRecs, defineMolarRecs, recommenderFor } from './molar-recs.js';
export { CONFIG_ATTRIBUTES, FLAG_ATTRIBUTES, PATH_ATTRIBUTES, configFromAttributes, setWidgetDefaults } from './attributes.js';

// The built widget (vite.widget.config.ts defines the flag) ships wasm/ beside molar-recs.js, so
// that is where it looks unless an attribute says otherwise; the build checks this module sits in
// molar-recs.js itself, so import.meta.url is the script's own URL. Anywhere else (a shop's bundler,
// the dev server) the config defaults stand: /wasm/tfjs/ and /wasm/ort/ on the page's origin.
if (import.meta.env?.MOLAR_WIDGET_BUILD) {
  // the base goes through a variable: a literal `new URL('./x/', import.meta.url)` is an asset
  // reference to bundlers and to Vite's dev server, which rewrites it to a file path and drops the slash
  const script = String(import.meta.url);
  setWidgetDefaults({ runtime: { tfjsWasmPath: new URL('wasm/tfjs/', script).href, ortWasmPath: new URL('wasm/ort/', script).href } });
}
defineMolarRecs();
