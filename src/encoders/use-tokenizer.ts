/**
 * The Universal Sentence Encoder lite tokenizer: SentencePiece unigram segmentation (Viterbi over a
 * trie of the vocabulary's pieces, scored by piece log-probability), as in Google's tfjs-models
 * (Apache-2.0), which @energetic-ai/embeddings bundles too.
 *
 * Why a copy here: @energetic-ai/embeddings does not export its Tokenizer and its package pulls in
 * Node-only modules (fs, worker_threads) through @energetic-ai/core, so it cannot load in a browser;
 * @tensorflow-models/universal-sentence-encoder pins tfjs 3. `use-tokenizer.test.ts` checks that this
 * copy gives the same ids as the package's tokenizer, piece for piece, on real titles.
 */
export type Vocabulary = Array<[string, number]>;

const SEPARATOR = '\u2581';
/** ids 0..5 are <unk>, <s>, </s>, … and never matched as text */
const RESERVED_SYMBOLS = 6;

interface TrieNode {
  children: Map<string, TrieNode>;
  /** piece ends here: [length in symbols, score, id] */
  end?: [number, number, number];
}

export class UseTokenizer {
  private readonly root: TrieNode = { children: new Map() };

  constructor(private readonly vocabulary: Vocabulary) {
    for (let id = RESERVED_SYMBOLS; id < vocabulary.length; id++) {
      const [piece, score] = vocabulary[id];
      const symbols = [...piece];
      let node = this.root;
      for (const s of symbols) {
        let next = node.children.get(s);
        if (!next) node.children.set(s, (next = { children: new Map() }));
        node = next;
      }
      node.end = [symbols.length, score, id];
    }
  }

  encode(input: string): number[] {
    const normalized = input.normalize('NFKC');
    const text = normalized.length > 0 ? SEPARATOR + normalized.replace(/ /g, SEPARATOR) : normalized;
    const symbols = [...text];
    const n = symbols.length;
    // best[e] = best score of a segmentation of symbols[0..e); word[e] = id of its last piece
    const best = new Array<number>(n + 1).fill(0);
    const word = new Array<number>(n + 1).fill(0);
    // candidates[e] lists pieces ending at e, grouped by start in ascending order (the reference
    // walks them in that order and keeps the last of equal scores; we must too, for identical ids)
    const candidates: Array<Array<[number, number, number]>> = Array.from({ length: n + 1 }, () => []);
    for (let i = 0; i < n; i++) {
      let node = this.root.children.get(symbols[i]);
      let matched = false;
      for (let k = i; k < n && node; k++) {
        if (node.end) {
          candidates[k + 1].push([i, node.end[1], node.end[2]]);
          matched = true;
        }
        node = node.children.get(symbols[k + 1]);
      }
      // an unknown symbol becomes one <unk> (id 0, score 0)
      if (!matched) candidates[i + 1].push([i, 0, 0]);
    }
    for (let e = 0; e <= n; e++) {
      const list = candidates[e].slice().sort((a, b) => a[0] - b[0]);
      for (const [start, score, id] of list) {
        const total = score + best[start];
        if (best[e] === 0 || total >= best[e]) {
          best[e] = total;
          word[e] = id;
        }
      }
    }
    const ids: number[] = [];
    let e = n;
    while (e > 0) {
      ids.push(word[e]);
      // UTF-16 length, as the reference does (identical to the symbol count for every BMP piece;
      // id 0 is "\ufffd", one unit, so an unknown symbol steps back one)
      e -= Math.max(1, this.vocabulary[word[e]][0].length);
    }
    // collapse runs of <unk>
    const out: number[] = [];
    let prevUnk = false;
    for (let i = ids.length - 1; i >= 0; i--) {
      const id = ids[i];
      if (!(prevUnk && id === 0)) out.push(id);
      prevUnk = id === 0;
    }
    return out;
  }
}
