import { describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { priceFormatter } from './price.js';

describe('priceFormatter', () => {
  it('shows no price without a currency', () => {
    expect(priceFormatter(null)).toBeUndefined();
    expect(priceFormatter('  ')).toBeUndefined();
  });

  it("formats in the page's locale", () => {
    expect(priceFormatter('USD', 'en-US')!(1234.5)).toBe('$1,234.50');
    expect(priceFormatter('eur', 'de-DE')!(1234.5)).toMatch(/^1\.234,50\s€$/);
    expect(priceFormatter('JPY', 'en-US')!(300)).toBe('¥300');
  });

  it('falls back to the default locale on a bad language tag, not on a bad currency', () => {
    expect(priceFormatter('USD', 'not a tag!!')!(2)).toMatch(/2/);
    for (const bad of ['dollars', 'US', '$', 'U5D']) {
      let err: unknown;
      try {
        priceFormatter(bad, 'en-US');
      } catch (e) {
        err = e;
      }
      expect(isMolarError(err) && err.code === 'BAD_CONFIG' && err.message.includes('currency attribute')).toBe(true);
    }
  });
});
