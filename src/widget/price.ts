import { MolarError } from '../errors.js';

/**
 * The formatter behind <molar-recs currency="USD">: a catalog's prices are bare numbers (the CSV's
 * price column), so which currency they are in is the page's to say; without the attribute no price
 * is shown rather than a guessed symbol. The locale is the page's (`<html lang>`), so 1234.5 reads
 * "$1,234.50" on an en page and "1.234,50 $" on a de one. A value that is not three letters is a
 * BAD_CONFIG error naming the attribute (Intl formats any well-formed code, known or not).
 */
export function priceFormatter(currency: string | null, locale?: string): ((price: number) => string) | undefined {
  if (currency === null || currency.trim() === '') return undefined;
  const code = currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) throw new MolarError('BAD_CONFIG', `the currency attribute must be a three-letter ISO 4217 code such as "USD" or "EUR", got ${JSON.stringify(currency)}`, { field: 'currency' });
  let f: Intl.NumberFormat;
  try {
    f = new Intl.NumberFormat(locale || undefined, { style: 'currency', currency: code });
  } catch (e) {
    // an unknown language tag in <html lang> is the page's, not the shopper's problem: fall back to the default locale
    if (!(e instanceof RangeError) || !locale) throw e;
    f = new Intl.NumberFormat(undefined, { style: 'currency', currency: code });
  }
  return (price) => f.format(price);
}
