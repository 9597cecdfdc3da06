/**
 * The prompts of MLLM-MSR's generative providers (arXiv 2408.09698), in the paper's shape but our
 * own words: stage 2 reads one block of items (titles + image summaries) and the previous summary
 * and continues "The user appears to have a preference for …"; stage 3 asks a yes/no question about
 * one candidate. scripts/make-tiny-gen-onnx.py builds the same strings for the torch reference, and
 * gen.test.ts checks they are equal, so change both together.
 */

/** One item as the prompts show it: its title and, when stage 1 wrote one, its image summary. */
export interface GenItem {
  title: string;
  image?: string;
}

/** Every summary starts with this; the model writes what follows. */
export const SUMMARY_PREFIX = 'The user appears to have a preference for';

/** Catalog text is untrusted: a newline in a title must not start a prompt line of its own. */
export const oneLine = (s: string | undefined): string => (s ?? '').split(/\s+/).filter(Boolean).join(' ');

export function summaryPrompt(block: readonly GenItem[], previous: string): string {
  const lines = ["You summarise a shopper's taste from what they viewed, in order.", `Previous summary: ${oneLine(previous) || 'none yet'}`, 'Items:'];
  block.forEach((it, i) => lines.push(`${i + 1}. ${oneLine(it.title)}` + (it.image ? ` (${oneLine(it.image)})` : '')));
  lines.push('Write the updated summary.', SUMMARY_PREFIX);
  return lines.join('\n');
}

/** The answer words whose next-token logits give P(yes); each must start with its own token. */
export const YES_NO = Object.freeze({ yes: ' Yes', no: ' No' });

export function rerankPrompt(summary: string, cand: GenItem): string {
  const image = cand.image ? `\nPicture: ${oneLine(cand.image)}` : '';
  return `Shopper: ${oneLine(summary)}\nItem: ${oneLine(cand.title)}${image}\nWould the shopper choose this item? Answer:`;
}
