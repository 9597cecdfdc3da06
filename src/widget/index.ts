/** Script-tag entry: `<script type="module" src="/molar-recs.js">` defines <molar-recs>. */
import { defineMolarRecs } from './molar-recs.js';

export { MolarRecs, defineMolarRecs, recommenderFor } from './molar-recs.js';
defineMolarRecs();
