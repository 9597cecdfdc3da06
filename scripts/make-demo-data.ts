/**
 * Builds the embedded demo shop (a sticker shop) so `npm start` works with no ../shared data:
 *   demo-data/catalog.csv       id,title,description,category,tags,image,price
 *   demo-data/interactions.csv  user_id,item_id,timestamp   (simulated shoppers, see demo-data/README.md)
 *   demo-data/themes.json       the latent themes the simulator drew from (ground truth for sanity checks)
 *   public/demo/img/<id>.png    Twemoji art rasterised to IMG_PX
 *
 *   npx tsx scripts/make-demo-data.ts [--seed 20261123] [--shoppers 2000]
 *
 * Deterministic: every random draw comes from one seeded PRNG, and inputs are read in a fixed order.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import Papa from 'papaparse';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_SEED = 20261123;
const IMG_PX = 128;
const SVG_DIR = join(ROOT, 'node_modules/@twemoji/svg');

/** Hand-made interest clusters over emojibase subgroups; `cap` keeps the shop ~350 items and themes balanced. */
export const THEMES: readonly { name: string; subgroups: string[]; cap: number }[] = [
  { name: 'happy faces', subgroups: ['face-smiling', 'face-affection', 'face-tongue'], cap: 15 },
  { name: 'love & feelings', subgroups: ['heart', 'emotion'], cap: 15 },
  { name: 'mammals', subgroups: ['animal-mammal', 'cat-face'], cap: 20 },
  { name: 'birds', subgroups: ['animal-bird'], cap: 15 },
  { name: 'ocean', subgroups: ['animal-marine', 'transport-water'], cap: 15 },
  { name: 'creepy crawlies', subgroups: ['animal-bug', 'animal-reptile', 'animal-amphibian'], cap: 15 },
  { name: 'garden', subgroups: ['plant-flower', 'plant-other'], cap: 15 },
  { name: 'fruit & veg', subgroups: ['food-fruit', 'food-vegetable'], cap: 20 },
  { name: 'comfort food', subgroups: ['food-prepared'], cap: 15 },
  { name: 'asian food', subgroups: ['food-asian'], cap: 15 },
  { name: 'sweets & drinks', subgroups: ['food-sweet', 'drink'], cap: 15 },
  { name: 'travel', subgroups: ['transport-air', 'place-geographic', 'place-map', 'hotel'], cap: 15 },
  { name: 'city', subgroups: ['place-building', 'place-other'], cap: 15 },
  { name: 'road trip', subgroups: ['transport-ground'], cap: 15 },
  { name: 'weather & sky', subgroups: ['sky-weather'], cap: 15 },
  { name: 'party', subgroups: ['event', 'award-medal'], cap: 15 },
  { name: 'sports', subgroups: ['sport'], cap: 15 },
  { name: 'games & crafts', subgroups: ['game', 'arts-crafts'], cap: 15 },
  { name: 'fashion', subgroups: ['clothing'], cap: 15 },
  { name: 'music', subgroups: ['music', 'musical-instrument', 'sound'], cap: 15 },
  { name: 'office & study', subgroups: ['office', 'book-paper', 'writing'], cap: 15 },
  { name: 'tech', subgroups: ['computer', 'phone', 'light-video'], cap: 15 },
  { name: 'tools & science', subgroups: ['tool', 'science', 'medical'], cap: 15 },
];

/** Parameters of the shopper simulation (documented in demo-data/README.md). */
export const SIM = {
  minEvents: 15,
  maxEvents: 40,
  /** probability of drifting to another of the shopper's themes between two events of one session */
  switchInSession: 0.12,
  /** ... and at a session boundary */
  switchAtSession: 0.5,
  /** probability the next item is a near neighbour (in theme order) of the current one */
  neighbourStep: 0.55,
  /** probability of a "bestseller" impulse click drawn from the global popularity instead of the theme */
  impulse: 0.05,
  zipfItems: 1.0,
  zipfThemes: 0.6,
  sessionLen: [3, 8] as const,
  /** seconds between clicks in a session, and mean days between sessions */
  clickGapS: [15, 240] as const,
  sessionGapDays: 3,
  startTs: 1767225600, // 2026-01-01T00:00:00Z
  spreadDays: 300,
};

/** mulberry32: tiny, fast, and good enough for a simulation; Math.random is not seedable. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const randInt = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
function shuffle<T>(rng: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
function pickWeighted(rng: Rng, weights: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  let r = rng() * total;
  for (let i = 0; i < weights.length; i++) if ((r -= weights[i]) < 0) return i;
  return weights.length - 1;
}
const zipf = (n: number, s: number) => Array.from({ length: n }, (_, r) => 1 / Math.pow(r + 1, s));

export interface EmojiRow { label: string; hexcode: string; tags?: string[]; subgroup?: number; order?: number }
export interface Product {
  id: string; title: string; description: string; category: string; tags: string; image: string; price: string;
  hexcode: string; svg: string; theme: number; order: number;
}

/** Twemoji drops FE0F from file names except inside some sequences; try both spellings. */
export function twemojiFile(hexcode: string, exists: (f: string) => boolean): string | undefined {
  const lower = hexcode.toLowerCase();
  for (const name of [lower, lower.replace(/-fe0f/g, '')]) if (exists(`${name}.svg`)) return `${name}.svg`;
  return undefined;
}

const SMALL_WORDS = new Set(['a', 'an', 'and', 'at', 'for', 'in', 'of', 'on', 'or', 'the', 'to', 'with']);
const titleCase = (s: string) =>
  s.split(' ').map((w, i) => (i > 0 && SMALL_WORDS.has(w) ? w : w.replace(/(^|-)(\p{L})/gu, (_, p: string, c: string) => p + c.toUpperCase()))).join(' ');

export function buildCatalog(emoji: EmojiRow[], subgroupNames: Record<string, string>, svgExists: (f: string) => boolean, seed: number): Product[] {
  const rng = makeRng(seed);
  const products: Product[] = [];
  THEMES.forEach((theme, t) => {
    const pool = emoji
      .filter((e) => e.subgroup !== undefined && theme.subgroups.includes(subgroupNames[e.subgroup]) && e.order !== undefined)
      .map((e) => ({ e, svg: twemojiFile(e.hexcode, svgExists) }))
      .filter((x): x is { e: EmojiRow; svg: string } => x.svg !== undefined)
      .sort((a, b) => a.e.order! - b.e.order!);
    // sample without replacement, then restore emoji order: neighbours in that order are semantically close
    const chosen = shuffle(rng, pool).slice(0, theme.cap).sort((a, b) => a.e.order! - b.e.order!);
    for (const { e, svg } of chosen) {
      const id = `st-${e.hexcode.toLowerCase()}`;
      const category = subgroupNames[e.subgroup!];
      const tags = (e.tags ?? []).filter((x) => x !== e.label);
      const price = (randInt(rng, 1, 5) + [0.49, 0.99][randInt(rng, 0, 1)]).toFixed(2);
      products.push({
        id, title: `Sticker: ${titleCase(e.label)}`,
        description: `Die-cut vinyl sticker of ${e.label}, from our ${theme.name} range.` + (tags.length ? ` Think ${tags.join(', ')}.` : ''),
        category, tags: tags.join(', '), image: `../public/demo/img/${id}.png`, price,
        hexcode: e.hexcode, svg, theme: t, order: e.order!,
      });
    }
  });
  return products;
}

export interface Click { user: string; item: string; ts: number }

/** The latent-interest shopper process; see demo-data/README.md for the prose version. */
export function simulate(products: Product[], shoppers: number, seed: number): Click[] {
  const rng = makeRng(seed ^ 0x5eed);
  const byTheme = THEMES.map((_, t) => products.filter((p) => p.theme === t));
  // popularity ranks are a shuffle, not the theme order, so "popular" and "neighbour" are different signals
  const popRank = byTheme.map((items) => shuffle(rng, items.map((_, i) => i)));
  const themePop = shuffle(rng, zipf(THEMES.length, SIM.zipfThemes));
  const globalPop = shuffle(rng, zipf(products.length, SIM.zipfItems));
  const out: Click[] = [];
  for (let u = 0; u < shoppers; u++) {
    const user = `u${String(u + 1).padStart(4, '0')}`;
    const k = randInt(rng, 2, 3);
    const mine: number[] = [];
    while (mine.length < k) {
      const t = pickWeighted(rng, themePop);
      if (!mine.includes(t)) mine.push(t);
    }
    const mix = mine.map(() => -Math.log(1 - rng())); // Dirichlet(1,…,1) via normalised Exp(1) draws
    let theme = mine[pickWeighted(rng, mix)];
    let pos = -1;
    let prev = '';
    let ts = SIM.startTs + Math.floor(rng() * SIM.spreadDays * 86400);
    let left = randInt(rng, SIM.minEvents, SIM.maxEvents);
    let inSession = randInt(rng, ...SIM.sessionLen);
    while (left > 0) {
      if (inSession === 0) {
        inSession = randInt(rng, ...SIM.sessionLen);
        ts += Math.floor(-Math.log(1 - rng()) * SIM.sessionGapDays * 86400) + 3600;
        if (rng() < SIM.switchAtSession) { theme = mine[pickWeighted(rng, mix)]; pos = -1; }
      } else if (prev !== '') {
        ts += randInt(rng, ...SIM.clickGapS);
        if (rng() < SIM.switchInSession) { theme = mine[pickWeighted(rng, mix)]; pos = -1; }
      }
      const items = byTheme[theme];
      let item: Product;
      const r = rng();
      if (r < SIM.impulse) {
        item = products[pickWeighted(rng, globalPop)];
      } else if (pos >= 0 && r < SIM.impulse + SIM.neighbourStep) {
        const step = [1, 1, 1, 2, -1][randInt(rng, 0, 4)];
        pos = Math.min(items.length - 1, Math.max(0, pos + step));
        item = items[pos];
      } else {
        pos = popRank[theme][pickWeighted(rng, zipf(items.length, SIM.zipfItems))];
        item = items[pos];
      }
      if (item.id === prev) continue; // a double click on one card is not a signal worth modelling
      out.push({ user, item: item.id, ts });
      prev = item.id;
      left--;
      inSession--;
    }
  }
  return out;
}

export const CATALOG_COLUMNS = ['id', 'title', 'description', 'category', 'tags', 'image', 'price'] as const;

export function catalogCsv(products: Product[]): string {
  return Papa.unparse({ fields: [...CATALOG_COLUMNS], data: products.map((p) => CATALOG_COLUMNS.map((c) => p[c])) }, { newline: '\n' }) + '\n';
}
export function interactionsCsv(clicks: Click[]): string {
  return 'user_id,item_id,timestamp\n' + clicks.map((c) => `${c.user},${c.item},${c.ts}`).join('\n') + '\n';
}

export function loadEmoji(): { emoji: EmojiRow[]; subgroupNames: Record<string, string> } {
  const emoji = JSON.parse(readFileSync(join(ROOT, 'node_modules/emojibase-data/en/data.json'), 'utf8')) as EmojiRow[];
  const meta = JSON.parse(readFileSync(join(ROOT, 'node_modules/emojibase-data/meta/groups.json'), 'utf8')) as { subgroups: Record<string, string> };
  return { emoji, subgroupNames: meta.subgroups };
}
export const svgExists = (f: string) => existsSync(join(SVG_DIR, f));

async function main(): Promise<void> {
  const opts = new Command()
    .option('--seed <n>', 'PRNG seed', (v) => Number.parseInt(v, 10), DEFAULT_SEED)
    .option('--shoppers <n>', 'simulated shoppers', (v) => Number.parseInt(v, 10), 2000)
    .parse()
    .opts<{ seed: number; shoppers: number }>();
  const { emoji, subgroupNames } = loadEmoji();
  const products = buildCatalog(emoji, subgroupNames, svgExists, opts.seed);
  const clicks = simulate(products, opts.shoppers, opts.seed);
  const dataDir = join(ROOT, 'demo-data');
  const imgDir = join(ROOT, 'public/demo/img');
  mkdirSync(dataDir, { recursive: true });
  rmSync(imgDir, { recursive: true, force: true });
  mkdirSync(imgDir, { recursive: true });
  // sharp is heavy and only needed here, so the pure functions above stay importable by the test without it
  const { default: sharp } = await import('sharp');
  for (const p of products) {
    const svg = readFileSync(join(SVG_DIR, p.svg));
    // Twemoji SVGs have a 36-unit viewBox; render at the target density instead of upscaling a bitmap
    const png = await sharp(svg, { density: (72 * IMG_PX) / 36 })
      .resize(IMG_PX, IMG_PX, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .png({ palette: true, compressionLevel: 9, effort: 10 })
      .toBuffer();
    writeFileSync(join(imgDir, `${p.id}.png`), png);
  }
  writeFileSync(join(dataDir, 'catalog.csv'), catalogCsv(products));
  writeFileSync(join(dataDir, 'interactions.csv'), interactionsCsv(clicks));
  const themes = THEMES.map((t, i) => ({ name: t.name, subgroups: t.subgroups, items: products.filter((p) => p.theme === i).map((p) => p.id) }));
  writeFileSync(join(dataDir, 'themes.json'), JSON.stringify({ seed: opts.seed, shoppers: opts.shoppers, sim: SIM, themes }, null, 1) + '\n');
  console.log(`${products.length} products, ${clicks.length} clicks from ${opts.shoppers} shoppers (seed ${opts.seed})`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
