/**
 * A transformers.js causal LM (by model id or local path) as MLLM-MSR's generator: greedy text for
 * the preference summary (stage 2) and P(yes) from the yes/no next-token logits for re-ranking
 * (stage 3). Loaded offline as the encoders are (encoders/hf.ts `transformers`), in Node or in a
 * page; worker.ts runs the same object inside a Web Worker and worker-client.ts is its twin on the
 * main thread, so both stages take a `TextLm` and never know which they got.
 *
 * Tested on e2e/fixtures/tiny-gen/tiny-gpt2 (scripts/make-tiny-gen-onnx.py): a GPT-2 layout with a
 * key/value cache, which transformers.js' generate() needs (after the first step it feeds only the
 * new token). Production: any text-generation ONNX export transformers.js loads as
 * AutoModelForCausalLM (e.g. a 0.5B instruct model, q4 on WebGPU).
 */
import { loading, transformers, type TransformersLoadOptions } from '../encoders/hf.js';
import { MolarError } from '../errors.js';
import { YES_NO } from './gen-prompts.js';

/** What stage 2 and 3 need of a language model, in this thread or behind a worker. */
export interface TextLm {
  readonly name: string;
  /** greedy continuation of `prompt`: the new tokens' ids and text (special tokens skipped) */
  generate(prompt: string, maxNewTokens: number): Promise<{ ids: number[]; text: string }>;
  /** per prompt, P(yes) = softmax over the first tokens of `words.yes` / `words.no` at the next position */
  yesNo(prompts: string[], words?: { yes: string; no: string }): Promise<number[]>;
  dispose(): void;
}

type Tensor = import('@huggingface/transformers').Tensor;
type Outputs = Record<string, Tensor | undefined>;
type Net = ((inputs: Record<string, unknown>) => Promise<Outputs>) & {
  generate(args: Record<string, unknown>): Promise<unknown>;
  dispose(): Promise<unknown>;
  config: Record<string, unknown>;
};
type Tok = ((texts: string | string[], o?: Record<string, unknown>) => Record<string, Tensor>) & {
  encode(text: string, o?: Record<string, unknown>): number[];
  decode(ids: number[], o?: Record<string, unknown>): string;
};

/** Prompts scored per forward pass: bounds the [batch, length, vocab] logits a page holds. */
export const YES_NO_BATCH = 8;

const disposeAll = (out: Outputs) => Object.values(out).forEach((t) => t?.dispose?.());

/** The LM's name, known before it loads (the generative summary's store key is built from it). */
export const lmName = (model: string): string => `hf-lm:${model}`;

export async function loadCausalLm(model: string, o: TransformersLoadOptions = {}): Promise<TextLm> {
  const name = lmName(model);
  const hf = await transformers(o);
  const { tokenizer, net } = await loading(hf, name, model, async (opts) => {
    const [tokenizer, net] = await Promise.all([hf.AutoTokenizer.from_pretrained(model, opts), hf.AutoModelForCausalLM.from_pretrained(model, opts)]);
    return { tokenizer: tokenizer as unknown as Tok, net: net as unknown as Net };
  }, o);
  // the context the position table allows; a longer prompt would index past it (garbage, not an error)
  const maxPositions = Number(net.config.n_positions ?? net.config.max_position_embeddings ?? Infinity);
  let live: Net | null = net;
  const alive = () => {
    if (!live) throw new MolarError('DISPOSED', `${name} was disposed`);
    return live;
  };
  const firstToken = (word: string, field: string) => {
    const ids = tokenizer.encode(word, { add_special_tokens: false });
    if (!ids.length) throw new MolarError('BAD_CONFIG', `${name}: the answer word "${word}" has no tokens`, { field });
    return ids[0];
  };

  return {
    name,
    async generate(prompt, maxNewTokens) {
      const m = alive();
      const inputs = tokenizer(prompt);
      const len = inputs.input_ids.dims[1];
      if (len + maxNewTokens > maxPositions) throw new MolarError('BAD_INPUT', `${name}: a prompt of ${len} tokens plus ${maxNewTokens} new ones passes the model's ${maxPositions} positions`, { field: 'prompt' });
      const out = (await m.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false })) as Tensor;
      const ids = (out.tolist() as bigint[][])[0].slice(len).map(Number);
      out.dispose();
      Object.values(inputs).forEach((x) => x.dispose?.());
      return { ids, text: tokenizer.decode(ids, { skip_special_tokens: true }) };
    },
    async yesNo(prompts, words = YES_NO) {
      const m = alive();
      const yes = firstToken(words.yes, 'yes');
      const no = firstToken(words.no, 'no');
      if (yes === no) throw new MolarError('BAD_CONFIG', `${name}: "${words.yes}" and "${words.no}" start with the same token (${yes}); choose answer words the tokenizer tells apart`, { field: 'yes' });
      const p: number[] = [];
      for (let s = 0; s < prompts.length; s += YES_NO_BATCH) {
        const inputs = tokenizer(prompts.slice(s, s + YES_NO_BATCH), { padding: true });
        const [b, t] = inputs.input_ids.dims;
        if (t > maxPositions) throw new MolarError('BAD_INPUT', `${name}: a re-rank prompt of ${t} tokens passes the model's ${maxPositions} positions`, { field: 'prompt' });
        const out = await m(inputs);
        const logits = out.logits;
        if (!logits) throw new MolarError('BAD_CONFIG', `${name}: the model gave no logits (outputs: ${Object.keys(out).join(', ')})`);
        const v = logits.dims[2];
        const data = logits.data as Float32Array;
        const mask = inputs.attention_mask.data as BigInt64Array;
        for (let r = 0; r < b; r++) {
          // the last real token, wherever the tokenizer pads (right or left)
          let last = t - 1;
          while (last > 0 && mask[r * t + last] === 0n) last--;
          const row = (r * t + last) * v;
          p.push(1 / (1 + Math.exp(data[row + no] - data[row + yes])));
        }
        disposeAll(out);
        Object.values(inputs).forEach((x) => x.dispose?.());
      }
      return p;
    },
    dispose() {
      void live?.dispose();
      live = null;
    },
  };
}
