/**
 * Script-tag entry: `<script type="module" src="/molar-recs.js">` defines <molar-recs>. Also the
 * package's `molar-web/widget` export, where a bundler compiles it into the shop's own app.
 */
import { setWidgetDefaults } from './attributes.js';
import { defineMolarRecs } from './molar-recs.js';

export { MolarRecs, defineMolarRecs, recommenderFor } from './molar-recs.js';
export { CONFIG_ATTRIBUTES, PATH_ATTRIBUTES, configFromAttributes, setWidgetDefaults } from './attributes.js';

// The built widget (vite.widget.config.ts defines the flag) ships wasm/ beside molar-recs.js, so
// that is where it looks unless an attribute says otherwise; the build checks this module sits in
// molar-recs.js itself, so import.meta.url is the script's own URL. Anywhere else (a shop's bundler,
// the dev server) the config defaults stand: /wasm/tfjs/ and /wasm/ort/ on the page's origin.
if (import.meta.env?.MOLAR_WIDGET_BUILD) {
  setWidgetDefaults({
    runtime: { tfjsWasmPath: new URL(/* @vite-ignore */ './wasm/tfjs/', import.meta.url).href, ortWasmPath: new URL(/* @vite-ignore */ './wasm/ort/', import.meta.url).href },
  });
}
defineMolarRecs();
