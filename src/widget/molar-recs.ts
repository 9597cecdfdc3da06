import type { BackendChoice, DeepPartial, MolarConfig } from '../config.js';
import { decodeEntities } from '../items/display.js';
import { Recommender, type LoadProgress, type Recommendation, type RecordInput } from '../recommender/index.js';
import { CONFIG_ATTRIBUTES, configFromAttributes } from './attributes.js';
import { priceFormatter } from './price.js';

/** One Recommender per bundle URL + backend, shared by every <molar-recs> on the page. */
const shared = new Map<string, { loading: Promise<Recommender>; listeners: Set<(p: LoadProgress) => void> }>();

/**
 * The page's Recommender for a bundle, backend and config, loaded once. `onProgress` hears the
 * bundle's download progress while it loads (every caller that asked before it finished), so a host
 * page can show one bar for the Recommender its <molar-recs> elements share.
 */
export function recommenderFor(bundle: string, backend: BackendChoice = 'auto', { onProgress, config = {} }: { onProgress?: (p: LoadProgress) => void; config?: DeepPartial<MolarConfig> } = {}): Promise<Recommender> {
  const key = `${bundle}|${backend}|${JSON.stringify(config)}`;
  let s = shared.get(key);
  if (!s) {
    const listeners = new Set<(p: LoadProgress) => void>();
    const loading = Recommender.load({ bundleUrl: bundle, backend, config, onProgress: (p) => listeners.forEach((l) => l(p)) });
    loading.then(() => listeners.clear(), () => shared.delete(key));
    s = { loading, listeners };
    shared.set(key, s);
  }
  if (onProgress) s.listeners.add(onProgress);
  return s.loading;
}

/** A page's view of a product this long after a click on its card is that click (the page opening it). */
const SAME_CLICK_MS = 10_000;

const STYLE = `
:host { display: block; font: inherit; color: inherit; }
[part=heading] { font-weight: 600; margin: 0 0 .5rem; }
[part=list] { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: .75rem; list-style: none; margin: 0; padding: 0; }
[part=card] { display: flex; flex-direction: column; align-items: center; gap: .35rem; padding: .6rem; border: 1px solid #e3e3e8;
  border-radius: 10px; text-decoration: none; color: inherit; background: #fff; height: 100%; box-sizing: border-box; }
[part=card]:hover { border-color: #7a5cff; }
[part=image], [part=placeholder] { width: 72px; height: 72px; object-fit: contain; flex: none; }
[part=placeholder] { border-radius: 8px; background: repeating-linear-gradient(45deg, #f0eef8 0 8px, #e6e2f5 8px 16px); }
[part=title] { font-size: .85rem; text-align: center; line-height: 1.2; }
[part=price] { font-size: .8rem; font-weight: 600; color: #2e7d32; }
[part=status] { font-size: .8rem; color: #666; }
[part=explain-toggle] { margin-top: .6rem; font: inherit; font-size: .85rem; padding: .3rem .7rem; border: 1px solid #c9c2ef; border-radius: 999px;
  background: #f6f4ff; color: #3d2a99; cursor: pointer; }
[part=explain-toggle]:focus-visible { outline: 2px solid #7a5cff; outline-offset: 2px; }
[part=explain] { margin-top: .5rem; padding: .6rem .8rem; border: 1px solid #e3e3e8; border-radius: 10px; background: #fbfbfd; font-size: .85rem; }
[part=explain][hidden] { display: none; }
[part=explain-summary] { margin: 0 0 .4rem; font-weight: 600; }
[part=explain-list] { margin: 0; padding-left: 1.1rem; }
[part=explain-item] { margin: .2rem 0; }
[part=explain-title] { font-weight: 600; }
[part=explain-method] { margin: .5rem 0 0; font-size: .75rem; color: #666; }
`;

/**
 * `<molar-recs bundle="/bundles/shop/" k="8" backend="auto">`: recommendations for the current
 * shopper, from their private history. Clicks on its own cards are recorded; the host page records
 * product views with `el.record({ itemId })`. `tfjs-wasm-path`, `ort-wasm-path`, `model-base-url`
 * and `config` (JSON) set where its files come from; `allow-remote-images` shows catalog pictures
 * on other origins than the page's and the bundle's, which are dropped by default (widget/attributes.ts).
 *
 * Events: `molar-ready` (detail: { backend, report }), `molar-recommend` (detail: { items }),
 * `molar-error` (detail: { error }); with a generative summarizer configured, `molar-generator-ready`
 * once its LM (loaded in the background, after `molar-ready`) serves: the element has re-ranked
 * itself by then, and a page showing `recommender.preferenceSummary()` reads it again. `currency` (an ISO 4217 code, e.g. "USD") shows each item's catalog price in it (::part(price); none without it). Style with ::part(list|card|image|placeholder|title|price|heading|status); an item without a
 * picture (or whose picture fails) gets the placeholder part.
 *
 * `explain` (a boolean attribute, opt-in) adds a "Why these?" button (::part(explain-toggle), a
 * real <button>, so Enter and Space work and aria-expanded says its state) that opens a panel
 * (::part(explain)) with the shopper's preference summary (explain-summary; only when the bundle
 * has an MLLM-MSR entry) and, per card, the history items that raised its score most
 * (explain-list > explain-item > explain-title + explain-because, from Recommender.explainMany:
 * leave-one-out on the served score), and a line saying how that was measured (explain-method).
 */
export class MolarRecs extends HTMLElement {
  static observedAttributes = ['bundle', 'k', 'backend', 'explain', 'currency', ...CONFIG_ATTRIBUTES];
  private rec?: Recommender;
  private readonly root: ShadowRoot;
  private list: HTMLUListElement;
  private status: HTMLParagraphElement;
  private loading?: Promise<void>;
  /** the card the shopper clicked last, so the page's view of the product it opens is not a second event */
  private lastCardClick?: { itemId: string; at: number; recorded: Promise<void> };
  /** the "Why these?" toggle and panel, while the explain attribute is set */
  private why?: { toggle: HTMLButtonElement; panel: HTMLDivElement };
  /** the list on screen, which the panel explains */
  private shown: Recommendation[] = [];
  /** counts explanation runs: a slower, older one must not overwrite a newer one */
  private explainRun = 0;

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
    this.syncExplain();
    void this.load();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value || !this.isConnected) return;
    if (name === 'explain') this.syncExplain();
    else if (name === 'k' || name === 'currency') void this.refresh();
    else {
      this.rec = undefined;
      this.loading = undefined;
      void this.load();
    }
  }

  /**
   * Record a host-page event (a product view, an add to cart) and refresh. A product newer than the
   * bundle is recorded too (an UNKNOWN_ITEM warning on the Recommender, see record() there); when
   * the bundle did not load there is nothing to record into, and molar-error has said why already.
   * The view a page records for the product one of this element's cards just opened is that same
   * click, already recorded: it is not counted twice.
   */
  async record(event: RecordInput): Promise<void> {
    await this.load();
    if (!this.rec) return;
    const clicked = this.lastCardClick;
    this.lastCardClick = undefined;
    const sameClick = clicked !== undefined && (event.type ?? 'view') === 'view' && event.itemId === clicked.itemId && Date.now() - clicked.at < SAME_CLICK_MS;
    // the same click: wait for its own record to land so the refresh leaves the item out as seen
    await (sameClick ? clicked.recorded : this.rec.record(event));
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
    this.shown = items;
    if (this.why?.toggle.getAttribute('aria-expanded') === 'true') void this.explainShown();
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
        priceFormatter(this.getAttribute('currency')); // a bad code is refused with the other attributes, before any download
        const rec = await recommenderFor(bundle, (this.getAttribute('backend') ?? 'auto') as BackendChoice, { config: configFromAttributes((n) => this.getAttribute(n)) });
        this.rec = rec;
        this.status.textContent = '';
        this.dispatchEvent(new CustomEvent('molar-ready', { detail: { backend: rec.backend, report: rec.backendReport }, bubbles: true, composed: true }));
        if (rec.generatorState === 'loading') void this.whenGenerator(rec);
        await this.update();
      } catch (error) {
        this.status.textContent = `Recommendations unavailable: ${(error as Error).message}`;
        this.dispatchEvent(new CustomEvent('molar-error', { detail: { error }, bubbles: true, composed: true }));
      }
    })();
    return this.loading;
  }

  /** Once the generative LM serves: re-rank with it, then say so (a failed LM leaves the list as it is; the Recommender warned). */
  private async whenGenerator(rec: Recommender): Promise<void> {
    if ((await rec.generatorReady) !== 'ready' || this.rec !== rec) return;
    try {
      // after the first render: this one must not land under it
      await this.loading;
      if (this.rec !== rec) return;
      await this.update();
    } catch (error) {
      this.dispatchEvent(new CustomEvent('molar-error', { detail: { error }, bubbles: true, composed: true }));
    }
    this.dispatchEvent(new CustomEvent('molar-generator-ready', { bubbles: true, composed: true }));
  }

  /** Adds or removes the "Why these?" toggle and panel as the explain attribute comes and goes. */
  private syncExplain(): void {
    const on = this.hasAttribute('explain');
    if (on === (this.why !== undefined)) return;
    if (!on) {
      this.why!.toggle.remove();
      this.why!.panel.remove();
      this.why = undefined;
      this.explainRun++;
      return;
    }
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.part.add('explain-toggle');
    toggle.textContent = 'Why these?';
    toggle.setAttribute('aria-expanded', 'false');
    toggle.setAttribute('aria-controls', 'molar-why');
    const panel = document.createElement('div');
    panel.part.add('explain');
    panel.id = 'molar-why';
    panel.hidden = true;
    panel.setAttribute('aria-live', 'polite');
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      panel.hidden = !open;
      if (open) void this.explainShown();
      else this.explainRun++;
    });
    this.root.append(toggle, panel);
    this.why = { toggle, panel };
  }

  /** Fills the panel for the cards on screen (explain-panel.ts, loaded on the first open: most pages never open it). */
  private async explainShown(): Promise<void> {
    const why = this.why;
    if (!why || !this.rec) return;
    const run = ++this.explainRun;
    const { fillExplainPanel } = await import('./explain-panel.js');
    await fillExplainPanel(why.panel, this.rec, this.shown, () => run === this.explainRun, (error) => this.dispatchEvent(new CustomEvent('molar-error', { detail: { error }, bubbles: true, composed: true })));
  }

  private render(items: Recommendation[]): void {
    // textContent and attributes only: catalog text is data, never markup. URLs come resolved and
    // checked (http(s) links only) from the Recommender (items/urls.ts).
    let price: ((p: number) => string) | undefined;
    try {
      price = priceFormatter(this.getAttribute('currency'), document.documentElement.lang);
    } catch (error) {
      // set to a bad code after load: the prices go, the cards stay, and molar-error says why
      this.dispatchEvent(new CustomEvent('molar-error', { detail: { error }, bubbles: true, composed: true }));
    }
    const cards = items.map(({ item, score }) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.part.add('card');
      a.href = item.url ?? `#item=${encodeURIComponent(item.id)}`;
      a.dataset.itemId = item.id;
      a.dataset.score = String(score);
      const placeholder = () => {
        const p = document.createElement('span');
        p.part.add('placeholder');
        p.setAttribute('aria-hidden', 'true');
        return p;
      };
      if (item.image) {
        const img = document.createElement('img');
        img.part.add('image');
        img.src = item.image;
        img.alt = '';
        img.loading = 'lazy';
        // a missing or undecodable picture shows the placeholder, not the browser's broken-image icon
        img.addEventListener('error', () => img.replaceWith(placeholder()), { once: true });
        a.append(img);
      } else a.append(placeholder());
      const title = document.createElement('span');
      title.part.add('title');
      title.textContent = decodeEntities(item.title ?? item.id); // entities decoded to characters, set as text
      a.append(title);
      if (price && item.price !== undefined) {
        const p = document.createElement('span');
        p.part.add('price');
        p.textContent = price(item.price);
        a.append(p);
      }
      a.addEventListener('click', () => {
        if (!this.rec) return;
        // a failed record (the Recommender disposed under it) is a molar-error, not an unhandled rejection
        const recorded = this.rec.record({ itemId: item.id, type: 'click' }).then(
          () => undefined,
          (error: unknown) => void this.dispatchEvent(new CustomEvent('molar-error', { detail: { error }, bubbles: true, composed: true })),
        );
        this.lastCardClick = { itemId: item.id, at: Date.now(), recorded };
      });
      // a card is a link (Enter follows it); Space opens it too, as it would a button-like card
      a.addEventListener('keydown', (e) => {
        if (e.key !== ' ' || e.repeat) return;
        e.preventDefault();
        a.click();
      });
      li.append(a);
      return li;
    });
    this.list.replaceChildren(...cards);
  }
}

export function defineMolarRecs(tag = 'molar-recs'): void {
  if (!customElements.get(tag)) customElements.define(tag, MolarRecs);
}
