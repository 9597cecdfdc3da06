import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Test support: a `fetch` over a folder on disk, under a fake origin (`prefix`, e.g. 'disk://b/'),
 * that records each file name asked for (a 404 for a missing one), so tests load bundles through
 * the real reader without a server.
 */
export function folderFetch(dir: string, prefix: string, asked: string[] = []): typeof fetch {
  return (async (url: string) => {
    const name = String(url).replace(prefix, '');
    asked.push(name);
    try {
      return new Response(readFileSync(path.join(dir, name)));
    } catch {
      return new Response('missing', { status: 404 });
    }
  }) as typeof fetch;
}
