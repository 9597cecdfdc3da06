import type { BackendChoice, DeepPartial, MolarConfig } from '../config.js';
import { Recommender, type Recommendation, type RecordInput } from '../recommender/index.js';
import { CONFIG_ATTRIBUTES, configFromAttributes } from './attributes.js';

/** One Recommender per bundle URL + backend, shared by every <molar-recs> on the page. */
const shared = new Map<string, Promise<Recommender>>();

export function recommenderFor(bundle: string, backend: BackendChoice = 'auto', config: DeepPartial<MolarConfig> = {}): Promise<Recommender> {
  const key = `${bundle}|${backend}|${JSON.stringify(config)}`;
  let p = shared.get(key);
  if (!p) {
    p = Recommender.load({ bundleUrl: bundle, backend, config });
    p.catch(() => shared.delete(key));
    shared.set(key, p);
  }
  return p;
}

const STYLE = `
:host { display: block; font: inherit; color: inherit; }
[part=heading] { font-weight: 600; margin: 0 0 .5rem; }
[part=list] { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: .75rem; list-style: none; margin: 0; padding: 0; }
[part=card] { display: flex; flex-direction: column; align-items: center; gap: .35rem; padding: .6rem; border: 1px solid #e3e3e8;
  border-radius: 10px; text-decoration: none; color: inherit; background: #fff; height: 100%; box-sizing: border-box; }
[part=card]:hover { border-color: #7a5cff; }
[part=image] { width: 72px; height: 72px; object-fit: contain; }
[part=title] { font-size: .85rem; text-align: center; line-height: 1.2; }
[part=status] { font-size: .8rem; color: #666; }
`;

/**
 * `<molar-recs bundle="/bundles/shop/" k="8" backend="auto">`: recommendations for the current
 * shopper, from their private history. Clicks on its own cards are recorded; the host page records
 * product views with `el.record({ itemId })`. `tfjs-wasm-path`, `ort-wasm-path`, `model-base-url`
 * and `config` (JSON) set where its files come from (widget/attributes.ts).
 *
 * Events: `molar-ready` (detail: { backend, report }), `molar-recommend` (detail: { items }),
 * `molar-error` (detail: { error }). Style with ::part(list|card|image|title|heading|status).
 */
export class MolarRecs extends HTMLElement {
  static observedAttributes = ['bundle', 'k', 'backend', ...CONFIG_ATTRIBUTES];
  private rec?: Recommender;
  private readonly root: ShadowRoot;
  private list: HTMLUListElement;
  private status: HTMLParagraphElement;
  private loading?: Promise<void>;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    const heading = document.createElement('p');
    heading.part.add('heading');
    heading.textContent = this.getAttribute('heading') ?? 'Recommended for you';
    this.status = document.createElement('p');
    this.status.part.add('status');
    this.status.setAttribute('role', 'status');
    this.list = document.createElement('ul');
    this.list.part.add('list');
    this.root.append(style, heading, this.status, this.list);
  }

  get k(): number {
    const k = Number(this.getAttribute('k') ?? 8);
    return Number.isInteger(k) && k > 0 ? k : 8;
  }

  /** The shared Recommender, once loaded. */
  get recommender(): Recommender | undefined {
    return this.rec;
  }

  connectedCallback(): void {
    void this.load();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value || !this.isConnected) return;
    if (name === 'k') void this.refresh();
    else {
      this.rec = undefined;
      this.loading = undefined;
      void this.load();
    }
  }

  /** Record a host-page event (a product view, an add to cart) and refresh. */
  async record(event: RecordInput): Promise<void> {
    await this.load();
    await this.rec!.record(event);
    await this.refresh();
  }

  async refresh(): Promise<Recommendation[]> {
    await this.load();
    return this.update();
  }

  /** Re-rank and render; the caller has awaited load() (load() itself calls this, so it must not). */
  private async update(): Promise<Recommendation[]> {
    if (!this.rec) return [];
    const items = await this.rec.recommend({ k: this.k, exclude: 'seen' });
    this.render(items);
    this.dispatchEvent(new CustomEvent('molar-recommend', { detail: { items }, bubbles: true, composed: true }));
    return items;
  }

  private load(): Promise<void> {
    const bundle = this.getAttribute('bundle');
    if (!bundle) {
      this.status.textContent = 'Set the "bundle" attribute to a molar bundle URL.';
      return Promise.resolve();
    }
    this.loading ??= (async () => {
      this.status.textContent = 'Loading recommendations…';
      try {
        this.rec = await recommenderFor(bundle, (this.getAttribute('backend') ?? 'auto') as BackendChoice, configFromAttributes((n) => this.getAttribute(n)));
        this.status.textContent = '';
        this.dispatchEvent(new CustomEvent('molar-ready', { detail: { backend: this.rec.backend, report: this.rec.backendReport }, bubbles: true, composed: true }));
        await this.update();
      } catch (error) {
        this.status.textContent = `Recommendations unavailable: ${(error as Error).message}`;
        this.dispatchEvent(new CustomEvent('molar-error', { detail: { error }, bubbles: true, composed: true }));
      }
    })();
    return this.loading;
  }

  private render(items: Recommendation[]): void {
    // textContent and attributes only: catalog text is data, never markup. URLs come resolved and
    // checked (http(s) links only) from the Recommender (items/urls.ts).
    const cards = items.map(({ item, score }) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.part.add('card');
      a.href = item.url ?? `#item=${encodeURIComponent(item.id)}`;
      a.dataset.itemId = item.id;
      a.dataset.score = String(score);
      if (item.image) {
        const img = document.createElement('img');
        img.part.add('image');
        img.src = item.image;
        img.alt = '';
        img.loading = 'lazy';
        a.append(img);
      }
      const title = document.createElement('span');
      title.part.add('title');
      title.textContent = item.title ?? item.id;
      a.append(title);
      a.addEventListener('click', () => void this.rec?.record({ itemId: item.id, type: 'click' }));
      li.append(a);
      return li;
    });
    this.list.replaceChildren(...cards);
  }
}

export function defineMolarRecs(tag = 'molar-recs'): void {
  if (!customElements.get(tag)) customElements.define(tag, MolarRecs);
}
