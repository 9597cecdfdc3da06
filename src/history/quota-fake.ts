/** Test helper (vitest only, never imported by library code): a storage quota on fake-indexeddb. */
import { vi } from 'vitest';

/**
 * An origin quota of `rows` events: a write over it throws QuotaExceededError, as the browser does.
 * `freesOnDelete: false` is Chrome's lazy accounting, where deleted rows give space back only later.
 */
export function fakeQuota(rows: number, freesOnDelete: boolean): void {
  let used = 0;
  const proto = IDBObjectStore.prototype;
  const [add, del] = [proto.add, proto.delete];
  vi.spyOn(proto, 'add').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
    if (used >= rows) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    used++;
    return add.apply(this, args);
  });
  vi.spyOn(proto, 'delete').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['delete']>) {
    if (freesOnDelete) used--;
    return del.apply(this, args);
  });
}
