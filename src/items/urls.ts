import type { ItemRecord } from '../bundle/manifest.js';
import type { WarningHandler } from '../warnings.js';

/** How far an item's picture may be fetched from (`items.allowRemoteImages`, the widget's `allow-remote-images`). */
export interface ImagePolicy {
  /**
   * also show absolute image URLs on other origins (a CDN); default false: only the page's own
   * origin, the bundle's origin and `data:image/`. Each picture on another origin is a request that
   * tells that origin which products this shopper is being shown.
   */
  allowRemoteImages?: boolean;
}

/**
 * A catalog's `image` and `url` as absolute URLs the page may use, resolved once at load so the
 * widget and the demo never re-resolve them (and cannot disagree):
 * - `image` against the bundle's base URL (bundles store images relative to themselves);
 * - `url` (the product page) against the page itself.
 * Only http(s) URLs (and, for images, the bundle's own scheme and `data:image/…`) are kept: a
 * catalog is untrusted input, and `javascript:` in a link runs script in the shop's origin when
 * a shopper clicks it. Images must also come from the page's or the bundle's origin unless
 * `policy.allowRemoteImages`. A dropped value is a warning naming the item; the item itself stays.
 */
export function resolveItemUrls(items: readonly ItemRecord[], bundleBase: string, pageBase: string | undefined, warn: WarningHandler, policy: ImagePolicy = {}): ItemRecord[] {
  const bundle = new URL(bundleBase);
  const origins = new Set([bundle.origin, ...(pageBase ? [new URL(pageBase).origin] : [])]);
  const remote = (u: URL) => WEB.has(u.protocol) && !origins.has(u.origin);
  return items.map((it) => {
    let out = it;
    if (it.image !== undefined) {
      let image = safeUrl(it.image, bundleBase, (u) => isWebImage(u) || u.protocol === bundle.protocol);
      const why =
        image === undefined
          ? 'is not an http(s) URL or a path in the bundle'
          : !policy.allowRemoteImages && remote(new URL(image))
            ? `is on another origin (${new URL(image).origin}; allowed with config items.allowRemoteImages or the widget's allow-remote-images)`
            : undefined;
      if (why) image = undefined;
      if (image !== it.image) out = { ...out, image };
      if (why) warn({ code: 'UNSAFE_URL', itemId: it.id, message: `item "${it.id}": image ${JSON.stringify(it.image.slice(0, 80))} ${why}; shown without it` });
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
 * relative URL or a `data:image/…`, and an absolute http(s) one only with `allowRemoteImages`
 * (`molar build --allow-remote-images`): the build cannot know the shop's origin, so any absolute
 * image URL counts as another origin's.
 */
export function catalogUrlProblem(raw: string, field: 'image' | 'url', policy: ImagePolicy = {}): string | undefined {
  const base = 'https://bundle.invalid/';
  const u = safeUrl(raw, base, field === 'url' ? isWebLink : isWebImage);
  if (u === undefined) return field === 'url' ? 'it is not an http(s) or relative URL' : 'it is not an http(s) URL, a relative path or a data:image/';
  if (field === 'image' && !policy.allowRemoteImages && WEB.has(new URL(u).protocol) && new URL(u).origin !== new URL(base).origin) {
    return 'it is an absolute URL on another origin (pass --allow-remote-images to keep such images)';
  }
  return undefined;
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
