import type { ItemRecord } from '../bundle/manifest.js';
import type { WarningHandler } from '../warnings.js';

/**
 * A catalog's `image` and `url` as absolute URLs the page may use, resolved once at load so the
 * widget and the demo never re-resolve them (and cannot disagree):
 * - `image` against the bundle's base URL (bundles store images relative to themselves);
 * - `url` (the product page) against the page itself.
 * Only http(s) URLs (and, for images, the bundle's own scheme and `data:image/…`) are kept: a
 * catalog is untrusted input, and `javascript:` in a link runs script in the shop's origin when
 * a shopper clicks it. A dropped value is a warning naming the item; the item itself stays.
 */
export function resolveItemUrls(items: readonly ItemRecord[], bundleBase: string, pageBase: string | undefined, warn: WarningHandler): ItemRecord[] {
  const bundleProtocol = new URL(bundleBase).protocol;
  return items.map((it) => {
    let out = it;
    if (it.image !== undefined) {
      const image = safeUrl(it.image, bundleBase, (u) => isWebImage(u) || u.protocol === bundleProtocol);
      if (image !== it.image) out = { ...out, image };
      if (image === undefined) warn({ code: 'UNSAFE_URL', itemId: it.id, message: `item "${it.id}": image ${JSON.stringify(it.image.slice(0, 80))} is not an http(s) URL or a path in the bundle; shown without it` });
    }
    if (it.url !== undefined) {
      const url = safeUrl(it.url, pageBase ?? bundleBase, isWebLink);
      if (url !== it.url) out = { ...out, url };
      if (url === undefined) warn({ code: 'UNSAFE_URL', itemId: it.id, message: `item "${it.id}": link ${JSON.stringify(it.url.slice(0, 80))} is not an http(s) URL; its card links nowhere` });
    }
    return out;
  });
}

const WEB = new Set(['http:', 'https:']);
const isWebLink = (u: URL) => WEB.has(u.protocol);
const isWebImage = (u: URL) => WEB.has(u.protocol) || (u.protocol === 'data:' && u.pathname.startsWith('image/'));

/**
 * The same rule at build time, before any base is known (`molar build` drops what fails it, so a
 * bundle never carries a value the page would refuse): a relative or http(s) link; for an image, a
 * relative or http(s) URL or a `data:image/…`.
 */
export function isSafeCatalogUrl(raw: string, field: 'image' | 'url'): boolean {
  return safeUrl(raw, 'https://bundle.invalid/', field === 'url' ? isWebLink : isWebImage) !== undefined;
}

/** `raw` resolved against `base` (URL parsing strips the tabs/newlines that hide a scheme), if `allowed`. */
function safeUrl(raw: unknown, base: string, allowed: (u: URL) => boolean): string | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch {
    return undefined;
  }
  return allowed(u) ? u.href : undefined;
}
