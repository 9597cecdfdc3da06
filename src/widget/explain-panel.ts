import { decodeEntities } from '../items/display.js';
import type { Recommendation, Recommender } from '../recommender/index.js';

/**
 * The "Why these?" panel of <molar-recs explain> (molar-recs.ts), in a module of its own that the
 * widget imports on the panel's first open: a page that never opens it never downloads it.
 * Text only: titles and the summary are data, never markup. `current()` is false once a newer
 * open, a close or a removed attribute made this fill stale: it then writes nothing.
 */
export async function fillExplainPanel(panel: HTMLElement, rec: Recommender, shown: readonly Recommendation[], current: () => boolean, failed: (error: unknown) => void): Promise<void> {
  if (!current()) return;
  const line = (part: string, text: string, tag = 'p') => {
    const el = document.createElement(tag);
    el.part.add(part);
    el.textContent = text;
    return el;
  };
  panel.replaceChildren(line('explain-method', 'Working out why…'));
  try {
    const found = shown.length ? await rec.explainMany(shown.map((r) => r.item.id)) : [];
    if (!current()) return;
    const title = (t: { id: string; title?: string }) => decodeEntities(t.title ?? t.id);
    const summary = found[0]?.summary;
    const list = document.createElement('ul');
    list.part.add('explain-list');
    for (const e of found) {
      const li = line('explain-item', '', 'li');
      li.dataset.itemId = e.item.id;
      const because = e.contributions.length ? `: because you looked at ${e.contributions.map((c) => title(c.item)).join(', ')}` : ': no single recent item in your history raises it on its own';
      li.append(line('explain-title', title(e.item), 'span'), line('explain-because', because, 'span'));
      list.append(li);
    }
    panel.replaceChildren(
      // the summary quotes catalog text (titles, attribute values): entities decoded as on the cards, still set as text
      ...(summary ? [line('explain-summary', `Your taste so far: ${decodeEntities(summary)}`)] : []),
      ...(found.length ? [list] : [line('explain-method', 'Nothing to explain yet.')]),
      line('explain-method', 'How this is worked out: each item above is scored again without each of your recent items in turn; the items listed are the ones whose absence lowers its score most.'),
    );
  } catch (error) {
    if (!current()) return;
    panel.replaceChildren(line('explain-method', `Explanations unavailable: ${(error as Error).message}`));
    failed(error);
  }
}
