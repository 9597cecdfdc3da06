/**
 * The demo storefront. It uses only the public API: the <molar-recs> element and the shared
 * Recommender behind it. `?bundle=/bundles/ml1m/` shows another bundle; `?backend=wasm` forces one.
 * Catalog text reaches the page through textContent and attributes only (items/display.ts makes it
 * readable: entities decoded as text, the machine "key: value" tail split into facts).
 */
import type { LoadProgress } from '../recommender/index.js';
import { recommenderFor } from '../widget/index.js';
import { priceFormatter } from '../widget/price.js';
import type { MolarRecs } from '../widget/molar-recs.js';
import { browse, categoryLabel, makeShop, type BrowseQuery, type Shop, type ShopItem } from './browse.js';

const params = new URLSearchParams(location.search);
const bundle = params.get('bundle') ?? '/bundles/demo/';
const backend = (params.get('backend') ?? 'auto') as 'auto';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

/** 48 = 4 full rows of 12, 6 of 8, 24 of 2 (the grid's column counts at common widths). */
const PAGE = 48;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/** Progress of the bundle download, then of the model starting on this device. */
function showProgress(p: LoadProgress): void {
  const bar = $<HTMLProgressElement>('load-progress');
  const text = $('load-text');
  if (p.status === 'ready') {
    bar.removeAttribute('value'); // indeterminate: the model is being set up on the chosen backend
    text.textContent = 'Starting the recommender on this device…';
    return;
  }
  const loaded = p.status === 'initiate' ? 0 : p.loaded;
  bar.value = p.total > 0 ? loaded / p.total : 0;
  text.textContent = `Loading the shop's model bundle: ${mb(loaded)} of ${mb(p.total)}`;
}

/** The page URL showing one product: the current path and query, then `#item=<id>` (never `#item=…?…`). */
function itemUrl(id: string): string {
  const u = new URL(location.href);
  u.hash = `item=${encodeURIComponent(id)}`;
  return u.href;
}
const itemInUrl = () => new URLSearchParams(location.hash.slice(1)).get('item');

/** A picture, or a lettered tile where the item has none or it fails to load (no broken-image icon). */
function media(s: ShopItem, cls: string): HTMLElement {
  const tile = () => {
    const t = el('span', `${cls} placeholder`, (s.text.title.match(/[\p{L}\p{N}]/u)?.[0] ?? '?').toUpperCase());
    t.setAttribute('aria-hidden', 'true');
    return t;
  };
  if (!s.item.image) return tile();
  const img = el('img', cls);
  img.src = s.item.image; // absolute and checked already: the Recommender resolves item URLs once
  img.alt = '';
  img.loading = 'lazy';
  img.addEventListener('error', () => img.replaceWith(tile()), { once: true });
  return img;
}

// the grid formats prices as the widget's cards do (its currency attribute, the page's lang)
const usd = priceFormatter(document.querySelector('molar-recs')?.getAttribute('currency') ?? 'USD', document.documentElement.lang)!;
const price = (s: ShopItem) => (s.item.price !== undefined ? usd(s.item.price) : '');

async function main(): Promise<void> {
  const recs = $<MolarRecs>('recs');
  const loading = recommenderFor(bundle, backend, { onProgress: showProgress });
  recs.setAttribute('backend', backend);
  recs.setAttribute('bundle', bundle);
  const rec = await loading;
  $('loading').hidden = true;
  $('shop-name').textContent = rec.manifest.name;
  document.title = `${rec.manifest.name} — molar-web demo`;
  const showBackend = () => {
    const badge = $('backend');
    badge.textContent = `${rec.backend} · ${rec.modelEntry.kind}`;
    badge.title = [...rec.backendReport.tried.map((t) => `${t.backend}: ${t.reason}`), ...(rec.backendReport.choice ? [`why: ${rec.backendReport.choice.why}`] : [])].join('\n');
  };
  showBackend();
  rec.addEventListener('backendchange', showBackend);
  if (!bundle.startsWith('/bundles/demo/')) $('attribution').hidden = true;

  const updateCount = async () => {
    const n = (await rec.events()).length;
    $('history-count').textContent = `${n} event${n === 1 ? '' : 's'} on this device${rec.persistent ? '' : ' (memory only)'}`;
  };
  recs.addEventListener('molar-recommend', () => void updateCount());

  const shop: Shop = makeShop(rec.items);
  const byId = new Map(shop.items.map((s) => [s.item.id, s]));
  const query: BrowseQuery = { search: '', category: '', page: 0 };
  let opener: HTMLElement | undefined; // the card that opened the detail, to return focus to

  const card = (s: ShopItem) => {
    const li = el('li');
    const b = el('button', 'product');
    b.type = 'button';
    b.dataset.itemId = s.item.id;
    b.append(media(s, 'thumb'), el('span', 'title', s.text.title));
    if (price(s)) b.append(el('span', 'price', price(s)));
    b.addEventListener('click', () => {
      opener = b;
      void openProduct(s.item.id, 'grid');
    });
    li.append(b);
    return li;
  };

  const render = () => {
    const view = browse(shop, query, PAGE);
    query.page = view.page;
    $('grid').replaceChildren(...view.items.map(card));
    const range = view.total === 0 ? '' : `${view.first + 1}–${view.first + view.items.length} of `;
    const what = query.search ? ` matching “${query.search}”` : '';
    $('result-count').textContent = view.total === 0 ? `No products${what}.` : `Showing ${range}${view.total} product${view.total === 1 ? '' : 's'}${what}`;
    $('page-info').textContent = `Page ${view.page + 1} of ${view.pages}`;
    $<HTMLButtonElement>('prev').disabled = view.page === 0;
    $<HTMLButtonElement>('next').disabled = view.page >= view.pages - 1;
    $('pager').hidden = view.pages === 1;
    for (const c of $('categories').querySelectorAll<HTMLButtonElement>('button')) c.setAttribute('aria-pressed', String(c.dataset.category === query.category));
  };

  const chip = (label: string, value: string, count: number) => {
    const c = el('button', 'chip');
    c.type = 'button';
    c.dataset.category = value;
    c.append(label, el('span', 'count', String(count)));
    c.addEventListener('click', () => {
      query.category = value;
      query.page = 0;
      render();
    });
    return c;
  };
  $('categories').hidden = shop.categories.length === 0;
  $('categories').replaceChildren(chip('All', '', shop.items.length), ...shop.categories.map((c) => chip(c.label, c.value, c.count)));

  const search = $<HTMLInputElement>('search');
  search.placeholder = `Search ${shop.items.length} products`;
  search.addEventListener('input', () => {
    query.search = search.value.trim();
    query.page = 0;
    render();
  });
  $('search-form').addEventListener('submit', (e) => e.preventDefault());
  const turn = (by: number) => {
    query.page = (query.page ?? 0) + by;
    render();
    // keep the shopper at the top of the new page, not at the pager at its bottom
    if ($('shop').getBoundingClientRect().top < 0) $('shop').scrollIntoView({ block: 'start' });
  };
  $('prev').addEventListener('click', () => turn(-1));
  $('next').addEventListener('click', () => turn(1));
  render();

  /**
   * Show a product with its recommendations in view. 'grid': a card of the shop (the URL gets
   * `#item=`); 'url': the URL changed to it (a recommendation card's link, back/forward); 'initial':
   * the page was loaded on it (a reload is not a new view, so nothing is recorded).
   */
  async function openProduct(id: string, how: 'grid' | 'url' | 'initial'): Promise<void> {
    const s = byId.get(id);
    if (!s) return;
    const facts = $('detail-facts');
    const values = (key: string, vs: string[]) => (key.toLowerCase() === shop.facet ? vs.map(categoryLabel) : vs).join(', ');
    facts.replaceChildren(...s.text.facts.flatMap((f) => [el('dt', undefined, categoryLabel(f.key)), el('dd', undefined, values(f.key, f.values))]));
    $('detail-media').replaceChildren(media(s, 'detail-image'));
    $('detail-title').textContent = s.text.title;
    $('detail-description').textContent = s.text.description;
    $('detail-price').textContent = price(s);
    $('detail').hidden = false;
    if (how === 'grid') history.pushState(null, '', itemUrl(id));
    $('product-view').scrollIntoView({ block: 'start' });
    $('detail-title').focus({ preventScroll: true });
    // a recommendation card's own click is recorded by the widget; it skips this view of the same click
    if (how !== 'initial') await recs.record({ itemId: id, type: 'view' });
  }
  const closeProduct = () => {
    $('detail').hidden = true;
    if (itemInUrl()) history.pushState(null, '', location.pathname + location.search);
    if (opener?.isConnected) opener.focus();
  };
  window.addEventListener('hashchange', () => {
    const id = itemInUrl();
    if (id) void openProduct(id, 'url');
    else $('detail').hidden = true;
  });
  $('close-detail').addEventListener('click', closeProduct);
  const initial = itemInUrl();
  if (initial) void openProduct(initial, 'initial');

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
  $('loading').hidden = true;
  $('grid').replaceChildren(el('li', 'error', `Could not start the shop: ${e.message}`));
});
