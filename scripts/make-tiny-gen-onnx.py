#!/usr/bin/env python3
"""
Builds the tiny generative ONNX models in e2e/fixtures/tiny-gen/ that MLLM-MSR's generative
providers (src/summary/gen-*.ts) are tested on, offline, in Node (vitest) and in Chromium.

    /usr/bin/python3 scripts/make-tiny-gen-onnx.py      # Debian: apt-get install python3-onnx python3-torch

A sibling of make-tiny-onnx.py (the encoder fixtures), whose helpers it imports: seeded init, ONNX
export, test images, CLIP pixel preprocessing, JSON writing. Weights are random but seeded.

What it writes (the layouts transformers.js 4.x loads, see models/session_config.js):

  tiny-gpt2/       model_type "gpt2", a decoder-only LM (MODEL_TYPES.DecoderOnly: onnx/model.onnx).
                   Inputs input_ids, attention_mask, position_ids, past_key_values.{i}.key/value
                   [batch_size, heads, past_sequence_length, head_dim]; outputs logits and
                   present.{i}.key/value. transformers.js always feeds a cache (empty on the first
                   step: addPastKeyValues) and, after the first step, only the new token
                   (_update_model_kwargs_for_generation), so a model without a cache cannot generate.
  tiny-captioner/  model_type "vision-encoder-decoder" (MODEL_TYPES.Vision2Seq): onnx/encoder_model.onnx
                   (pixel_values -> last_hidden_state, a ViT-style tower) and
                   onnx/decoder_model_merged.onnx (input_ids, encoder_hidden_states,
                   past_key_values.{i}.key/value -> logits, present.*; GPT-2 blocks with cross-attention,
                   positions counted from the cache length), CLIPImageProcessor at 32x32.
  both             a byte-level BPE tokenizer.json (GPT-2's scheme: 256 byte tokens, a few merges so
                   " Yes" and " No" are single tokens as in production LMs, <|endoftext|> = bos/eos/pad).
  expected.json    the fixed inputs, the prompts, their token ids, and what torch computes: greedy
                   continuations (token ids and text) and P(yes) for re-rank prompts.

The LM head carries a fixed +4 logit on the bytes a-z and space so that greedy text is ASCII: a
random model would otherwise emit byte soup whose UTF-8 repair is not what these tests are about.
Greedy decoding is recomputed here from scratch at every step (no cache), so a test that matches it
also shows transformers.js' cache path is right. Near-ties are refused (margin < 1e-3).
"""
import importlib.util
import math
import os
import re
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('tiny_onnx', os.path.join(HERE, 'make-tiny-onnx.py'))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, 'e2e', 'fixtures', 'tiny-gen')
SEED = 20261201
MAX_NEW = {'summary': 16, 'caption': 10}

# ---------------------------------------------------------------------------------------------
# Byte-level BPE (GPT-2's scheme), our own small implementation for ASCII text


def byte_chars():
    """GPT-2's byte -> printable character table: printable bytes map to themselves, the rest to 256+."""
    keep = list(range(ord('!'), ord('~') + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTES = byte_chars()
MERGE_WORDS = [' Yes', ' No']  # each merged left to right: "Ġ Y", "ĠY e", "ĠYe s", ...
EOS = '<|endoftext|>'


def build_bpe():
    vocab = {BYTES[b]: b for b in range(256)}
    merges = []
    for w in MERGE_WORDS:
        chars = ''.join(BYTES[b] for b in w.encode())
        for i in range(1, len(chars)):
            pair = (chars[:i], chars[i])
            if pair not in merges:
                merges.append(pair)
                vocab[chars[:i + 1]] = len(vocab)
    vocab[EOS] = len(vocab)
    return vocab, merges


# GPT-2's pre-tokenizer pattern with \p{L} / \p{N} narrowed to ASCII (every fixture text is ASCII)
PRETOKEN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def bpe_encode(text, vocab, merges):
    assert text.isascii(), text
    rank = {p: i for i, p in enumerate(merges)}
    ids = []
    for piece in PRETOKEN.findall(text):
        parts = [BYTES[b] for b in piece.encode()]
        while len(parts) > 1:
            pairs = [(rank.get((parts[i], parts[i + 1]), math.inf), i) for i in range(len(parts) - 1)]
            r, i = min(pairs)
            if r == math.inf:
                break
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        ids += [vocab[p] for p in parts]
    return ids


def bpe_decode(ids, vocab):
    inv = {v: k for k, v in vocab.items()}
    back = {c: b for b, c in BYTES.items()}
    toks = [inv[i] for i in ids if inv[i] != EOS]  # skip_special_tokens
    return bytes(back[c] for t in toks for c in t).decode('utf-8', errors='replace')


def tokenizer_json(vocab, merges):
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [{'id': vocab[EOS], 'content': EOS, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}],
        'normalizer': None,
        'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
        'post_processor': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': False, 'use_regex': True},
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': '', 'end_of_word_suffix': '',
                  'fuse_unk': False, 'byte_fallback': False, 'vocab': vocab, 'merges': [f'{a} {b}' for a, b in merges]},
    }


def tokenizer_config(max_len):
    return {
        'tokenizer_class': 'GPT2Tokenizer', 'add_bos_token': False, 'add_prefix_space': False, 'model_max_length': max_len,
        'bos_token': EOS, 'eos_token': EOS, 'unk_token': EOS, 'pad_token': EOS, 'padding_side': 'right',
        'clean_up_tokenization_spaces': False,
    }


# ---------------------------------------------------------------------------------------------
# The paper's prompt shapes; src/summary/gen-prompts.ts builds the same strings (a test checks)


def one_line(s):
    """Catalog text is untrusted: a newline in a title must not start a prompt line of its own."""
    return ' '.join((s or '').split())


def summary_prompt(block, previous):
    lines = ['You summarise a shopper\'s taste from what they viewed, in order.',
             f'Previous summary: {one_line(previous) or "none yet"}', 'Items:']
    lines += [f'{i + 1}. {one_line(it["title"])}' + (f' ({one_line(it["image"])})' if it.get('image') else '') for i, it in enumerate(block)]
    lines += ['Write the updated summary.', SUMMARY_PREFIX]
    return '\n'.join(lines)


SUMMARY_PREFIX = 'The user appears to have a preference for'


def rerank_prompt(summary, cand):
    image = f'\nPicture: {one_line(cand["image"])}' if cand.get('image') else ''
    return f'Shopper: {one_line(summary)}\nItem: {one_line(cand["title"])}{image}\nWould the shopper choose this item? Answer:'


# ---------------------------------------------------------------------------------------------
# Models: GPT-2-style pre-LN blocks with a key/value cache


class CachedAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.hd = heads, hidden // heads
        self.q, self.k, self.v, self.o = (nn.Linear(hidden, hidden) for _ in range(4))

    def split(self, t):
        return t.view(t.size(0), -1, self.heads, self.hd).transpose(1, 2)

    def forward(self, x, bias, past_k=None, past_v=None, memory=None):
        """Self-attention over [past; x] (returns the grown cache), or cross-attention over `memory`."""
        q = self.split(self.q(x))
        src = x if memory is None else memory
        k, v = self.split(self.k(src)), self.split(self.v(src))
        if past_k is not None:
            k, v = torch.cat([past_k, k], 2), torch.cat([past_v, v], 2)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd) + bias, dim=-1)
        return self.o((att @ v).transpose(1, 2).reshape(x.size(0), -1, self.heads * self.hd)), k, v


class DecoderBlock(nn.Module):
    def __init__(self, hidden, heads, cross):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(hidden, eps=1e-5), nn.LayerNorm(hidden, eps=1e-5)
        self.attn = CachedAttention(hidden, heads)
        self.cross = CachedAttention(hidden, heads) if cross else None
        self.lnc = nn.LayerNorm(hidden, eps=1e-5) if cross else None
        self.ff1, self.ff2 = nn.Linear(hidden, 4 * hidden), nn.Linear(4 * hidden, hidden)

    def forward(self, x, bias, past_k, past_v, memory=None):
        a, k, v = self.attn(self.ln1(x), bias, past_k, past_v)
        x = x + a
        if self.cross is not None:
            x = x + self.cross(self.lnc(x), 0.0, memory=memory)[0]
        return x + self.ff2(base.gelu(self.ff1(self.ln2(x)))), k, v


def causal_bias(t, total, key_mask=None):
    """[B|1, 1, T, S] additive bias: query t (absolute position S-T+t) sees keys 0..S-T+t, and no padded key."""
    q_pos = torch.arange(t, dtype=torch.int64) + (total - t)
    k_pos = torch.arange(total, dtype=torch.int64)
    bias = (k_pos.unsqueeze(0) > q_pos.unsqueeze(1)).to(torch.float32)[None, None] * -1e9
    if key_mask is not None:
        bias = bias + (1.0 - key_mask[:, None, None, :].to(torch.float32)) * -1e9
    return bias


class TinyDecoder(nn.Module):
    """Embeddings, blocks, final LN, LM head (+ the ASCII bias). `cross`: attends to encoder states."""

    def __init__(self, cfg, cross=False):
        super().__init__()
        d = cfg['n_embd']
        self.cfg = cfg
        self.wte, self.wpe = nn.Embedding(cfg['vocab_size'], d), nn.Embedding(cfg['n_positions'], d)
        self.blocks = nn.ModuleList(DecoderBlock(d, cfg['n_head'], cross) for _ in range(cfg['n_layer']))
        self.ln_f = nn.LayerNorm(d, eps=1e-5)
        self.head = nn.Linear(d, cfg['vocab_size'], bias=False)
        ascii_bias = torch.zeros(cfg['vocab_size'])
        for b in list(range(ord('a'), ord('z') + 1)) + [ord(' ')]:
            ascii_bias[b] = 4.0  # byte tokens have id = byte value
        self.register_buffer('ascii_bias', ascii_bias)

    def run(self, input_ids, positions, pasts, key_mask=None, memory=None):
        x = self.wte(input_ids) + self.wpe(positions)
        total = pasts[0][0].size(2) + input_ids.size(1)
        bias = causal_bias(input_ids.size(1), total, key_mask)
        presents = []
        for blk, (pk, pv) in zip(self.blocks, pasts):
            x, k, v = blk(x, bias, pk, pv, memory)
            presents += [k, v]
        return (self.head(self.ln_f(x)) + self.ascii_bias, *presents)


class TinyGpt2(TinyDecoder):
    def forward(self, input_ids, attention_mask, position_ids, *past):
        pasts = [(past[2 * i], past[2 * i + 1]) for i in range(len(past) // 2)]
        return self.run(input_ids, position_ids, pasts, key_mask=attention_mask)


class TinyCaptionDecoder(TinyDecoder):
    def forward(self, input_ids, encoder_hidden_states, *past):
        pasts = [(past[2 * i], past[2 * i + 1]) for i in range(len(past) // 2)]
        p = pasts[0][0].size(2)
        positions = (torch.arange(input_ids.size(1), dtype=torch.int64) + p).unsqueeze(0)
        return self.run(input_ids, positions, pasts, memory=encoder_hidden_states)


class TinyVitEncoder(nn.Module):
    """Patches + class token + positions, pre-LN blocks, final LN: last_hidden_state [B, 1+N, H]."""

    def __init__(self, v):
        super().__init__()
        h, p = v['hidden_size'], v['patch_size']
        n = (v['image_size'] // p) ** 2
        self.patch = nn.Conv2d(v['num_channels'], h, kernel_size=p, stride=p, bias=False)
        self.cls = nn.Parameter(torch.zeros(h))
        self.pos = nn.Parameter(torch.zeros(n + 1, h))
        self.layers = nn.ModuleList(base.PreLNBlock(h, v['num_attention_heads'], v['intermediate_size'], 1e-5) for _ in range(v['num_hidden_layers']))
        self.ln = nn.LayerNorm(h, eps=1e-5)

    def forward(self, pixel_values):
        x = self.patch(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.view(1, 1, -1).expand(x.size(0), 1, x.size(2)), x], dim=1) + self.pos
        for layer in self.layers:
            x = layer(x, 0.0)
        return self.ln(x)


def init(model, seed):
    base.seeded_init(model, seed)
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in ('cls', 'pos'):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
    return model


def empty_past(cfg, batch=1, length=0):
    hd = cfg['n_embd'] // cfg['n_head']
    return [torch.zeros(batch, cfg['n_head'], length, hd) for _ in range(2 * cfg['n_layer'])]


def cache_names(cfg):
    past = [f'past_key_values.{i}.{kv}' for i in range(cfg['n_layer']) for kv in ('key', 'value')]
    return past, [n.replace('past_key_values', 'present') for n in past]


# ---------------------------------------------------------------------------------------------
# Torch references


def greedy(step, prompt_ids, max_new, eos):
    """Greedy decoding by full recomputation; `step(ids) -> logits [V]` of the last position."""
    ids, margins = list(prompt_ids), []
    for _ in range(max_new):
        logits = step(ids)
        top = torch.topk(logits, 2).values
        margins.append(float(top[0] - top[1]))
        nxt = int(torch.argmax(logits))
        ids.append(nxt)
        if nxt == eos:
            break
    if min(margins) < 1e-3:
        sys.exit(f'greedy near-tie (margin {min(margins):.2e}); change SEED')
    return ids[len(prompt_ids):], min(margins)


def lm_last_logits(lm, cfg, ids):
    x = torch.tensor([ids], dtype=torch.int64)
    with torch.no_grad():
        out = lm(x, torch.ones_like(x), torch.arange(len(ids)).unsqueeze(0), *empty_past(cfg))
    return out[0][0, -1]


def main():
    torch.set_num_threads(1)
    vocab, merges = build_bpe()
    V = len(vocab)
    eos = vocab[EOS]
    yes_id, no_id = vocab[''.join(BYTES[b] for b in b' Yes')], vocab[''.join(BYTES[b] for b in b' No')]
    os.makedirs(OUT, exist_ok=True)

    def write_tokenizer(d, max_len):
        base.write_json(os.path.join(d, 'tokenizer.json'), tokenizer_json(vocab, merges))
        base.write_json(os.path.join(d, 'tokenizer_config.json'), tokenizer_config(max_len))

    # --- tiny-gpt2 ---------------------------------------------------------------------------
    cfg = {'architectures': ['GPT2LMHeadModel'], 'model_type': 'gpt2', 'vocab_size': V, 'n_embd': 32, 'n_head': 2, 'n_layer': 2,
           'n_positions': 1024, 'bos_token_id': eos, 'eos_token_id': eos, 'pad_token_id': eos, 'use_cache': True}
    gdir = os.path.join(OUT, 'tiny-gpt2')
    os.makedirs(os.path.join(gdir, 'onnx'), exist_ok=True)
    base.write_json(os.path.join(gdir, 'config.json'), cfg)
    base.write_json(os.path.join(gdir, 'generation_config.json'), {'bos_token_id': eos, 'eos_token_id': eos, 'pad_token_id': eos})
    write_tokenizer(gdir, cfg['n_positions'])
    lm = init(TinyGpt2(cfg), SEED + 1).eval()
    past_names, present_names = cache_names(cfg)
    ids = torch.tensor([[5, 6, 7]], dtype=torch.int64)
    cache_dyn = {0: 'batch_size', 2: 'past_sequence_length'}
    dyn = {'input_ids': {0: 'batch_size', 1: 'sequence_length'}, 'attention_mask': {0: 'batch_size', 1: 'total_sequence_length'},
           'position_ids': {0: 'batch_size', 1: 'sequence_length'}, 'logits': {0: 'batch_size', 1: 'sequence_length'}}
    dyn.update({n: cache_dyn for n in past_names})
    dyn.update({n: {0: 'batch_size', 2: 'total_sequence_length'} for n in present_names})
    # traced with a non-empty cache so concat and the causal offset are real ops, not folded away
    base.export(lm, (ids, torch.ones(1, 5, dtype=torch.int64), torch.tensor([[2, 3, 4]]), *empty_past(cfg, 1, 2)),
                os.path.join(gdir, 'onnx', 'model.onnx'), ['input_ids', 'attention_mask', 'position_ids', *past_names], ['logits', *present_names], dyn)

    blocks = [
        [{'title': 'Green sencha tea', 'image': 'a green tin on a white table'},
         {'title': 'Black cat mug', 'image': 'a black mug with a cat'},
         {'title': 'Matcha whisk set'}],
        [{'title': 'Red kettle', 'image': 'a shiny red kettle'},
         {'title': 'Oolong sampler', 'image': 'five small paper bags'},
         {'title': 'Star stickers', 'image': 'gold stars on blue paper'}],
    ]
    steps, previous = [], ''
    for block in blocks:
        prompt = summary_prompt(block, previous)
        pids = bpe_encode(prompt, vocab, merges)
        new, margin = greedy(lambda s: lm_last_logits(lm, cfg, s), pids, MAX_NEW['summary'], eos)
        text = bpe_decode(new, vocab)
        summary = (SUMMARY_PREFIX + text).strip()
        steps.append({'block': block, 'previous': previous, 'prompt': prompt, 'prompt_ids': pids, 'new_ids': new, 'new_text': text,
                      'summary': summary, 'min_margin': round(margin, 6)})
        previous = summary

    cands = [{'title': 'Jasmine green tea', 'image': 'a green tin'}, {'title': 'Dog socks'}, {'title': 'Blue teapot', 'image': 'a round blue pot'}]
    rr_summary = steps[-1]['summary']
    rerank = []
    for c in cands:
        prompt = rerank_prompt(rr_summary, c)
        pids = bpe_encode(prompt, vocab, merges)
        logits = lm_last_logits(lm, cfg, pids)
        p_yes = float(torch.softmax(torch.stack([logits[yes_id], logits[no_id]]), 0)[0])
        rerank.append({'candidate': c, 'prompt': prompt, 'prompt_ids': pids, 'logit_yes': float(logits[yes_id]), 'logit_no': float(logits[no_id]), 'p_yes': p_yes})

    # --- tiny-captioner ----------------------------------------------------------------------
    vision = {'model_type': 'vit', 'image_size': 32, 'patch_size': 8, 'num_channels': 3, 'hidden_size': 32, 'intermediate_size': 64,
              'num_hidden_layers': 1, 'num_attention_heads': 2}
    dec = {'model_type': 'gpt2', 'vocab_size': V, 'n_embd': 32, 'n_head': 2, 'n_layer': 1, 'n_positions': 64, 'add_cross_attention': True,
           'bos_token_id': eos, 'eos_token_id': eos, 'pad_token_id': eos}
    ccfg = {'architectures': ['VisionEncoderDecoderModel'], 'model_type': 'vision-encoder-decoder', 'is_encoder_decoder': True,
            'encoder': vision, 'decoder': dec, 'decoder_start_token_id': eos, 'bos_token_id': eos, 'eos_token_id': eos, 'pad_token_id': eos}
    cdir = os.path.join(OUT, 'tiny-captioner')
    os.makedirs(os.path.join(cdir, 'onnx'), exist_ok=True)
    base.write_json(os.path.join(cdir, 'config.json'), ccfg)
    base.write_json(os.path.join(cdir, 'generation_config.json'), {'decoder_start_token_id': eos, 'bos_token_id': eos, 'eos_token_id': eos, 'pad_token_id': eos})
    write_tokenizer(cdir, dec['n_positions'])
    base.write_json(os.path.join(cdir, 'preprocessor_config.json'), {
        'image_processor_type': 'CLIPImageProcessor', 'do_convert_rgb': True, 'do_resize': True, 'size': {'shortest_edge': 32}, 'resample': 3,
        'do_center_crop': True, 'crop_size': {'height': 32, 'width': 32}, 'do_rescale': True, 'rescale_factor': 1 / 255,
        'do_normalize': True, 'image_mean': base.CLIP_MEAN, 'image_std': base.CLIP_STD,
    })
    enc = init(TinyVitEncoder(vision), SEED + 2).eval()
    cap = init(TinyCaptionDecoder(dec, cross=True), SEED + 3).eval()
    imgs = base.test_images(32)
    pixels = torch.cat([base.clip_pixels(v) for v in imgs.values()])
    base.export(enc, (pixels,), os.path.join(cdir, 'onnx', 'encoder_model.onnx'), ['pixel_values'], ['last_hidden_state'],
                {'pixel_values': {0: 'batch_size'}, 'last_hidden_state': {0: 'batch_size'}})
    cpast, cpresent = cache_names(dec)
    with torch.no_grad():
        memory = enc(pixels)
    cdyn = {'input_ids': {0: 'batch_size', 1: 'sequence_length'}, 'encoder_hidden_states': {0: 'batch_size', 1: 'encoder_sequence_length'},
            'logits': {0: 'batch_size', 1: 'sequence_length'}}
    cdyn.update({n: cache_dyn for n in cpast})
    cdyn.update({n: {0: 'batch_size', 2: 'total_sequence_length'} for n in cpresent})
    base.export(cap, (torch.tensor([[eos, 5]]), memory[:1], *empty_past(dec, 1, 2)), os.path.join(cdir, 'onnx', 'decoder_model_merged.onnx'),
                ['input_ids', 'encoder_hidden_states', *cpast], ['logits', *cpresent], cdyn)
    captions = []
    for r, (name, rgba) in enumerate(imgs.items()):
        def step(s, r=r):
            with torch.no_grad():
                return cap(torch.tensor([s]), memory[r:r + 1], *empty_past(dec))[0][0, -1]
        new, margin = greedy(step, [eos], MAX_NEW['caption'], eos)
        captions.append({'name': name, 'new_ids': new, 'text': bpe_decode(new, vocab).strip(), 'min_margin': round(margin, 6)})

    expected = {
        'about': 'written by scripts/make-tiny-gen-onnx.py: torch greedy decoding (full recompute per step) and yes/no probabilities',
        'max_new_tokens': MAX_NEW, 'eos_id': eos, 'yes_id': yes_id, 'no_id': no_id, 'summary_prefix': SUMMARY_PREFIX,
        'summary_steps': steps, 'rerank': {'summary': rr_summary, 'items': rerank},
        'captions': captions,
        'images': [{'name': k, 'width': v.shape[1], 'height': v.shape[0], 'rgba_base64': base.base64.b64encode(v.tobytes()).decode()} for k, v in imgs.items()],
    }
    base.write_json(os.path.join(OUT, 'expected.json'), expected)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    for s in steps:
        print('summary:', repr(s['summary']), 'margin', s['min_margin'])
    for c in captions:
        print('caption:', repr(c['text']), 'margin', c['min_margin'])
    print('p_yes:', [round(r['p_yes'], 4) for r in rerank])
    print(f'total {total} bytes')
    if total > 1_000_000:
        sys.exit('fixtures grew past 1 MB; shrink the models')


if __name__ == '__main__':
    main()
