/**
 * The demo storefront. It uses only the public API: the <molar-recs> element and the shared
 * Recommender behind it. `?bundle=/bundles/ml1m/` shows another bundle; `?backend=wasm` forces one.
 */
import type { ItemRecord } from '../bundle/manifest.js';
import { recommenderFor } from '../widget/index.js';
import type { MolarRecs } from '../widget/molar-recs.js';

const params = new URLSearchParams(location.search);
const bundle = params.get('bundle') ?? '/bundles/demo/';
const backend = (params.get('backend') ?? 'auto') as 'auto';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const recs = $<MolarRecs>('recs');
recs.setAttribute('backend', backend);
recs.setAttribute('bundle', bundle);

const PAGE = 48;

async function main(): Promise<void> {
  const rec = await recommenderFor(bundle, backend);
  $('shop-name').textContent = rec.manifest.name;
  document.title = `${rec.manifest.name} — molar-web demo`;
  const showBackend = () => {
    const badge = $('backend');
    badge.textContent = `${rec.backend} · ${rec.modelEntry.kind}`;
    badge.title = rec.backendReport.tried.map((t) => `${t.backend}: ${t.reason}`).join('\n');
  };
  showBackend();
  rec.addEventListener('backendchange', showBackend);
  if (!bundle.startsWith('/bundles/demo/')) $('attribution').hidden = true;

  const updateCount = async () => {
    const n = (await rec.events()).length;
    $('history-count').textContent = `${n} event${n === 1 ? '' : 's'} on this device${rec.persistent ? '' : ' (memory only)'}`;
  };
  recs.addEventListener('molar-recommend', () => void updateCount());

  const category = (it: ItemRecord) => it.text?.match(/category: ([^.;\n]+)/i)?.[1] ?? '';
  const categories = [...new Set(rec.items.map(category).filter(Boolean))].slice(0, 16);
  let active = '';
  const renderGrid = () => {
    const shown = rec.items.filter((it) => !active || category(it) === active).slice(0, PAGE);
    $('grid').replaceChildren(...shown.map(productCard));
  };
  const productCard = (it: ItemRecord) => {
    const b = document.createElement('button');
    b.className = 'product';
    b.dataset.itemId = it.id;
    if (it.image) {
      const img = document.createElement('img');
      img.src = it.image; // absolute already: the Recommender resolves item URLs once
      img.alt = '';
      img.loading = 'lazy';
      b.append(img);
    }
    const t = document.createElement('span');
    t.className = 'title';
    t.textContent = it.title ?? it.id;
    b.append(t);
    b.addEventListener('click', () => void openProduct(it.id));
    return b;
  };
  const nav = $('categories');
  const chip = (label: string, value: string) => {
    const c = document.createElement('button');
    c.type = 'button';
    c.textContent = label;
    c.setAttribute('aria-pressed', String(value === active));
    c.addEventListener('click', () => {
      active = value;
      nav.querySelectorAll('button').forEach((x) => x.setAttribute('aria-pressed', String(x === c)));
      renderGrid();
    });
    return c;
  };
  nav.replaceChildren(chip('All', ''), ...categories.map((c) => chip(c, c)));
  renderGrid();

  async function openProduct(id: string): Promise<void> {
    const it = rec.item(id);
    if (!it) return;
    $('detail').hidden = false;
    $<HTMLImageElement>('detail-image').src = it.image ?? '';
    $('detail-title').textContent = it.title ?? it.id;
    $('detail-description').textContent = it.text ?? '';
    $('detail-price').textContent = it.price !== undefined ? `$${it.price.toFixed(2)}` : '';
    history.replaceState(null, '', `#item=${encodeURIComponent(id)}${location.search}`);
    await recs.record({ itemId: id, type: 'view' });
  }
  // Cards in the widget link to #item=<id>: open that product like a product page would.
  window.addEventListener('hashchange', () => {
    const id = new URLSearchParams(location.hash.slice(1)).get('item');
    if (id) void openProduct(id);
  });
  $('close-detail').addEventListener('click', () => ($('detail').hidden = true));
  $('export').addEventListener('click', async () => {
    const blob = new Blob([await rec.exportHistory()], { type: 'application/json' });
    const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'my-molar-history.json' });
    a.click();
    URL.revokeObjectURL(a.href);
  });
  $('clear').addEventListener('click', async () => {
    await rec.clearHistory({ all: true });
    await recs.refresh();
  });
  await updateCount();
  document.body.dataset.ready = 'true';
}

main().catch((e: Error) => {
  $('backend').textContent = 'error';
  $('grid').textContent = `Could not start the shop: ${e.message}`;
});
