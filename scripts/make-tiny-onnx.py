#!/usr/bin/env python3
"""
Builds the tiny Hugging Face-layout ONNX models in e2e/fixtures/tiny-hf/ that let
src/encoders/hf.ts (transformers.js) run offline, in Node (vitest) and in Chromium (Playwright).

    /usr/bin/python3 scripts/make-tiny-onnx.py      # Debian: apt-get install python3-onnx python3-torch

Only this script needs Python; the tests read the committed files. Weights are random but seeded, so
a rebuild on the same torch/onnx gives the same weights (expected.json may move in the last float digits
on another BLAS, far below the tests' 1e-4).

What it writes (the layout transformers.js resolves under env.localModelPath, see hub.js /
model-loader.js: `<model>/config.json`, `<model>/onnx/<file><dtype suffix>.onnx`, suffix '' = fp32,
'_quantized' = q8):

  tiny-bert/   model_type "bert" (BertModel): the generic path, any feature-extraction model whose
               ONNX gives last_hidden_state; hf.ts mean-pools it over the attention mask.
               config.json, tokenizer.json (WordPiece), tokenizer_config.json,
               onnx/model.onnx (fp32), onnx/model_quantized.onnx (q8: dynamic int8 MatMuls, the
               pattern onnxruntime's quantize_dynamic writes: DynamicQuantizeLinear + MatMulInteger).
  tiny-clip/   model_type "clip": the production path (one space for item text and images).
               config.json, preprocessor_config.json (CLIPImageProcessor, 32x32), tokenizer.json +
               tokenizer_config.json (the same WordPiece vocabulary: the real CLIP BPE tokenizer is
               transformers.js' business, not ours), onnx/vision_model.onnx (pixel_values ->
               image_embeds + last_hidden_state, like CLIPVisionModelWithProjection exports),
               onnx/text_model.onnx (input_ids, attention_mask -> text_embeds + last_hidden_state).
  expected.json  fixed inputs (texts, their token ids, RGBA test images) and the vectors torch
               computes for them, L2-normalised: what hf.ts must reproduce within 1e-4.
  red-square.png one of the test images as a PNG, to test the decode path too.

The architectures are our own small modules (BERT-style post-LN encoder; CLIP-style pre-LN towers),
not copies of Hugging Face's: transformers.js only sees input/output names, shapes and config fields.
"""
import base64
import hashlib
import json
import math
import os
import re
import struct
import sys
import unicodedata
import zlib

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'e2e', 'fixtures', 'tiny-hf')
OPSET = 14  # onnxruntime-web and -node both run it; LayerNormalization (17) is not needed
SEED = 20240604

# ---------------------------------------------------------------------------------------------
# Vocabulary and a WordPiece tokenizer (BERT uncased rules), written as tokenizer.json

SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
WORDS = (
    'the a an and or of for with in on to is it this that by from at as be are new set pack '
    'green black red white blue yellow pink brown grey gold silver dark light small large big mini '
    'tea coffee mug cup pot kettle leaf loose bag bags sencha matcha oolong chai herbal fruit '
    'sticker stickers cat dog fox bird fish heart star moon sun flower tree cake pizza '
    'cotton wool linen paper glass steel wood stone shirt sock socks hat scarf book pen '
    'price size colour color category brand organic fresh sweet hot cold soft warm gift'
).split()
SUFFIXES = ['##s', '##es', '##ed', '##ing', '##er', '##ly', '##y']


def build_vocab():
    letters = [chr(c) for c in range(ord('a'), ord('z') + 1)]
    digits = [str(d) for d in range(10)]
    punct = list('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')
    vocab = SPECIAL + punct + digits + letters + ['##' + c for c in letters + digits] + SUFFIXES
    for w in WORDS:
        if w not in vocab:
            vocab.append(w)
    return {tok: i for i, tok in enumerate(vocab)}


def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith('P')


def basic_tokenize(text):
    """BertNormalizer (clean text, lowercase, strip accents) + BertPreTokenizer (whitespace, punctuation)."""
    text = ''.join(' ' if ch.isspace() else ch for ch in text if not unicodedata.category(ch).startswith('C') or ch.isspace())
    text = unicodedata.normalize('NFD', text.lower())
    text = ''.join(ch for ch in text if unicodedata.category(ch) != 'Mn')
    words = []
    for chunk in text.split():
        cur = ''
        for ch in chunk:
            if _is_punct(ch):
                if cur:
                    words.append(cur)
                words.append(ch)
                cur = ''
            else:
                cur += ch
        if cur:
            words.append(cur)
    return words


def wordpiece(word, vocab):
    if len(word) > 100:
        return ['[UNK]']
    out, start = [], 0
    while start < len(word):
        end, piece = len(word), None
        while start < end:
            sub = word[start:end] if start == 0 else '##' + word[start:end]
            if sub in vocab:
                piece = sub
                break
            end -= 1
        if piece is None:
            return ['[UNK]']
        out.append(piece)
        start = end
    return out


def encode(text, vocab):
    toks = ['[CLS]'] + [p for w in basic_tokenize(text) for p in wordpiece(w, vocab)] + ['[SEP]']
    return [vocab[t] for t in toks]


def tokenizer_json(vocab):
    special = [
        {'id': vocab[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
        for t in SPECIAL
    ]
    tmpl = lambda seqs: [x for s in seqs for x in s]  # noqa: E731
    cls = {'SpecialToken': {'id': '[CLS]', 'type_id': 0}}
    sep0 = {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}
    sep1 = {'SpecialToken': {'id': '[SEP]', 'type_id': 1}}
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': special,
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': tmpl([[cls], [{'Sequence': {'id': 'A', 'type_id': 0}}], [sep0]]),
            'pair': tmpl([[cls], [{'Sequence': {'id': 'A', 'type_id': 0}}], [sep0], [{'Sequence': {'id': 'B', 'type_id': 1}}], [sep1]]),
            'special_tokens': {t: {'id': t, 'ids': [vocab[t]], 'tokens': [t]} for t in ('[CLS]', '[SEP]')},
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100, 'vocab': vocab},
    }


def tokenizer_config(max_len):
    return {
        'tokenizer_class': 'BertTokenizer',
        'do_lower_case': True,
        'model_max_length': max_len,
        'pad_token': '[PAD]', 'unk_token': '[UNK]', 'cls_token': '[CLS]', 'sep_token': '[SEP]', 'mask_token': '[MASK]',
        'padding_side': 'right',
        'clean_up_tokenization_spaces': True,
    }


# ---------------------------------------------------------------------------------------------
# Models

def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.hd = heads, hidden // heads
        self.q, self.k, self.v, self.o = (nn.Linear(hidden, hidden) for _ in range(4))

    def forward(self, x, bias):
        b = x.size(0)
        split = lambda t: t.view(b, -1, self.heads, self.hd).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd) + bias, dim=-1)
        return self.o((att @ v).transpose(1, 2).reshape(b, -1, self.heads * self.hd))


class PostLNBlock(nn.Module):
    """BERT layer: x = LN(x + attn(x)); x = LN(x + ffn(x))."""

    def __init__(self, hidden, heads, inter, eps):
        super().__init__()
        self.attn = Attention(hidden, heads)
        self.ln1, self.ln2 = nn.LayerNorm(hidden, eps=eps), nn.LayerNorm(hidden, eps=eps)
        self.ff1, self.ff2 = nn.Linear(hidden, inter), nn.Linear(inter, hidden)

    def forward(self, x, bias):
        x = self.ln1(x + self.attn(x, bias))
        return self.ln2(x + self.ff2(gelu(self.ff1(x))))


class PreLNBlock(nn.Module):
    """CLIP layer: x = x + attn(LN(x)); x = x + mlp(LN(x))."""

    def __init__(self, hidden, heads, inter, eps):
        super().__init__()
        self.attn = Attention(hidden, heads)
        self.ln1, self.ln2 = nn.LayerNorm(hidden, eps=eps), nn.LayerNorm(hidden, eps=eps)
        self.ff1, self.ff2 = nn.Linear(hidden, inter), nn.Linear(inter, hidden)

    def forward(self, x, bias):
        x = x + self.attn(self.ln1(x), bias)
        return x + self.ff2(quick_gelu(self.ff1(self.ln2(x))))


def padding_bias(attention_mask):
    # [B, T] 1/0 -> [B, 1, 1, T] additive bias; BERT's -10000 keeps softmax finite on all-pad rows
    return (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0


class TinyBert(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c['hidden_size']
        self.word = nn.Embedding(c['vocab_size'], h)
        self.pos = nn.Embedding(c['max_position_embeddings'], h)
        self.token_type = nn.Embedding(c['type_vocab_size'], h)
        self.ln = nn.LayerNorm(h, eps=c['layer_norm_eps'])
        self.layers = nn.ModuleList(PostLNBlock(h, c['num_attention_heads'], c['intermediate_size'], c['layer_norm_eps']) for _ in range(c['num_hidden_layers']))

    def forward(self, input_ids, attention_mask, token_type_ids):
        pos = torch.arange(input_ids.size(1), dtype=torch.int64).unsqueeze(0)
        x = self.ln(self.word(input_ids) + self.pos(pos) + self.token_type(token_type_ids))
        bias = padding_bias(attention_mask)
        for layer in self.layers:
            x = layer(x, bias)
        return x


class TinyClipVision(nn.Module):
    def __init__(self, v, proj):
        super().__init__()
        h, p = v['hidden_size'], v['patch_size']
        n = (v['image_size'] // p) ** 2
        self.patch = nn.Conv2d(v['num_channels'], h, kernel_size=p, stride=p, bias=False)
        self.cls = nn.Parameter(torch.zeros(h))
        self.pos = nn.Parameter(torch.zeros(n + 1, h))
        self.pre_ln, self.post_ln = nn.LayerNorm(h, eps=v['layer_norm_eps']), nn.LayerNorm(h, eps=v['layer_norm_eps'])
        self.layers = nn.ModuleList(PreLNBlock(h, v['num_attention_heads'], v['intermediate_size'], v['layer_norm_eps']) for _ in range(v['num_hidden_layers']))
        self.proj = nn.Linear(h, proj, bias=False)

    def forward(self, pixel_values):
        x = self.patch(pixel_values).flatten(2).transpose(1, 2)  # [B, N, H]
        cls = self.cls.view(1, 1, -1).expand(x.size(0), 1, x.size(2))
        x = self.pre_ln(torch.cat([cls, x], dim=1) + self.pos)
        for layer in self.layers:
            x = layer(x, 0.0)
        return self.proj(self.post_ln(x[:, 0, :])), x


class TinyClipText(nn.Module):
    def __init__(self, t, proj):
        super().__init__()
        h = t['hidden_size']
        self.word = nn.Embedding(t['vocab_size'], h)
        self.pos = nn.Embedding(t['max_position_embeddings'], h)
        self.final_ln = nn.LayerNorm(h, eps=t['layer_norm_eps'])
        self.layers = nn.ModuleList(PreLNBlock(h, t['num_attention_heads'], t['intermediate_size'], t['layer_norm_eps']) for _ in range(t['num_hidden_layers']))
        self.proj = nn.Linear(h, proj, bias=False)

    def forward(self, input_ids, attention_mask):
        t = input_ids.size(1)
        pos = torch.arange(t, dtype=torch.int64)
        x = self.word(input_ids) + self.pos(pos.unsqueeze(0))
        # causal (as CLIP's text tower) plus padding
        causal = (pos.unsqueeze(0) > pos.unsqueeze(1)).to(torch.float32) * -10000.0  # [T, T]
        bias = causal[None, None, :, :] + padding_bias(attention_mask)
        for layer in self.layers:
            x = layer(x, bias)
        x = self.final_ln(x)
        # pool at the last real token ([SEP] here, EOS in CLIP), chosen with a mask so ONNX stays simple
        last = attention_mask.to(torch.int64).sum(1, keepdim=True) - 1  # [B, 1]
        sel = (pos.unsqueeze(0) == last).to(torch.float32).unsqueeze(-1)  # [B, T, 1]
        return self.proj((x * sel).sum(1)), x


def seeded_init(model, seed):
    """
    Our own seeded init (torch's default draws from the global RNG in module order): embeddings N(0, 1),
    weights N(0, 1/fan_in), biases N(0, 0.1^2), LayerNorm gains 1 + N(0, 0.1^2) so they are exercised
    too, and the vision tower's own parameters (class token, positions) N(0, 1) / N(0, 0.5^2).
    """
    g = torch.Generator().manual_seed(seed)
    rand = lambda p, std, mean=0.0: p.copy_(mean + std * torch.randn(p.shape, generator=g))  # noqa: E731
    with torch.no_grad():
        for _, mod in model.named_modules():
            if isinstance(mod, nn.Embedding):
                rand(mod.weight, 1.0)
            elif isinstance(mod, nn.LayerNorm):
                rand(mod.weight, 0.1, 1.0)
                rand(mod.bias, 0.1)
            elif isinstance(mod, (nn.Linear, nn.Conv2d)):
                rand(mod.weight, 1.0 / math.sqrt(mod.weight[0].numel()))
                if mod.bias is not None:
                    rand(mod.bias, 0.1)
        if isinstance(model, TinyClipVision):
            rand(model.cls, 1.0)
            rand(model.pos, 0.5)
    return model.eval()


# ---------------------------------------------------------------------------------------------
# ONNX export and q8

def export(model, args, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(
        model, args, path, input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes,
        opset_version=OPSET, do_constant_folding=True,
    )
    m = onnx.load(path)
    m.producer_name, m.producer_version, m.doc_string = 'molar-web scripts/make-tiny-onnx.py', '1', ''
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return m


def quantize_dynamic_q8(src, dst):
    """
    q8 as onnxruntime.quantization.quantize_dynamic writes it (no onnxruntime needed here): every
    MatMul by a constant 2-D weight becomes DynamicQuantizeLinear(A) -> MatMulInteger(A_u8, W_i8)
    -> Cast -> Mul(a_scale * w_scale). Weights: symmetric per-tensor int8, zero point 0.
    """
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    nodes, used = [], set()
    for n in g.node:
        w = inits.get(n.input[1]) if n.op_type == 'MatMul' and len(n.input) == 2 else None
        if w is None or w.data_type != TensorProto.FLOAT or len(w.dims) != 2:
            nodes.append(n)
            continue
        wf = numpy_helper.to_array(w).astype(np.float32)
        scale = np.float32(max(np.abs(wf).max(), 1e-8) / 127.0)
        wq = np.clip(np.rint(wf / scale), -127, 127).astype(np.int8)
        p = (n.name or n.output[0]).replace('/', '_').strip('_')
        g.initializer.extend([
            numpy_helper.from_array(wq, p + '_W_q'),
            numpy_helper.from_array(np.array(scale, dtype=np.float32), p + '_W_scale'),
            numpy_helper.from_array(np.array(0, dtype=np.int8), p + '_W_zp'),
        ])
        used.add(w.name)
        nodes += [
            helper.make_node('DynamicQuantizeLinear', [n.input[0]], [p + '_A_q', p + '_A_scale', p + '_A_zp'], name=p + '_quant'),
            helper.make_node('MatMulInteger', [p + '_A_q', p + '_W_q', p + '_A_zp', p + '_W_zp'], [p + '_Y_i32'], name=p + '_matmul_int'),
            helper.make_node('Cast', [p + '_Y_i32'], [p + '_Y_f'], to=TensorProto.FLOAT, name=p + '_cast'),
            helper.make_node('Mul', [p + '_A_scale', p + '_W_scale'], [p + '_scale'], name=p + '_scale_mul'),
            helper.make_node('Mul', [p + '_Y_f', p + '_scale'], [n.output[0]], name=p + '_out_mul'),
        ]
    still = {i for nd in nodes for i in nd.input}
    keep = [i for i in g.initializer if i.name not in used or i.name in still]
    del g.initializer[:]
    g.initializer.extend(keep)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    onnx.save(m, dst)
    return len(used)


# ---------------------------------------------------------------------------------------------
# Images: fixed RGBA pixels (what hf.ts gets from a decoder), and the CLIP preprocessing in numpy

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def test_images(size):
    ys, xs = np.mgrid[0:size, 0:size]
    red = np.zeros((size, size, 4), np.uint8)
    red[..., 0], red[..., 3] = 220, 255
    red[8:24, 8:24, 1] = 40  # a darker inner square
    grad = np.stack([xs * 255 // (size - 1), ys * 255 // (size - 1), (xs + ys) * 255 // (2 * size - 2), np.full_like(xs, 255)], -1).astype(np.uint8)
    checker = np.where(((xs // 4 + ys // 4) % 2)[..., None] == 0, [30, 160, 60, 255], [250, 250, 250, 255]).astype(np.uint8)
    return {'red-square': red, 'gradient': grad, 'checker': checker}


def clip_pixels(rgba):
    # transformers.js CLIPImageProcessor on a 32x32 input: rgb() drops alpha, no resize/crop at the
    # target size, rescale 1/255, normalise, HWC -> CHW
    x = rgba[..., :3].astype(np.float64) / 255.0
    x = (x - np.array(CLIP_MEAN)) / np.array(CLIP_STD)
    return torch.tensor(x.transpose(2, 0, 1)[None].astype(np.float32))


def write_png(path, rgba):
    h, w, _ = rgba.shape
    raw = b''.join(b'\x00' + rgba[y].tobytes() for y in range(h))  # filter 0 on every row
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xFFFFFFFF)  # noqa: E731
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


# ---------------------------------------------------------------------------------------------

def l2(v):
    v = np.asarray(v, np.float64)
    # 9 significant digits: float32 round-trips, and the tests compare within 1e-4
    return [[float(f'{x:.9g}') for x in row] for row in v / np.linalg.norm(v, axis=-1, keepdims=True)]


def pad_batch(ids_list):
    t = max(len(x) for x in ids_list)
    ids = torch.tensor([x + [0] * (t - len(x)) for x in ids_list], dtype=torch.int64)
    mask = torch.tensor([[1] * len(x) + [0] * (t - len(x)) for x in ids_list], dtype=torch.int64)
    return ids, mask


def write_json(path, obj):
    text = json.dumps(obj, indent=1)
    # one line per vector / id list, so a rebuild diffs row by row
    text = re.sub(r'\[\s+([-+0-9.eE,\s]+?)\s+\]', lambda m: '[' + ','.join(m.group(1).split()).replace(',,', ',') + ']', text)
    with open(path, 'w') as f:
        f.write(text + '\n')


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)  # same summation order every run
    vocab = build_vocab()
    texts = ['green tea', 'A red coffee mug, 350ml!', 'black teas and loose-leaf sencha']
    ids_list = [encode(t, vocab) for t in texts]
    expected = {'about': 'written by scripts/make-tiny-onnx.py; vectors are L2-normalised torch fp32 outputs', 'texts': texts, 'input_ids': ids_list}

    # --- tiny-bert -------------------------------------------------------------------------
    bert_cfg = {
        'architectures': ['BertModel'], 'model_type': 'bert', 'vocab_size': len(vocab), 'hidden_size': 32,
        'num_hidden_layers': 2, 'num_attention_heads': 4, 'intermediate_size': 64, 'hidden_act': 'gelu',
        'max_position_embeddings': 64, 'type_vocab_size': 2, 'layer_norm_eps': 1e-12, 'pad_token_id': 0,
        'hidden_dropout_prob': 0.0, 'attention_probs_dropout_prob': 0.0, 'initializer_range': 0.02,
    }
    bdir = os.path.join(OUT, 'tiny-bert')
    os.makedirs(os.path.join(bdir, 'onnx'), exist_ok=True)
    write_json(os.path.join(bdir, 'config.json'), bert_cfg)
    write_json(os.path.join(bdir, 'tokenizer.json'), tokenizer_json(vocab))
    write_json(os.path.join(bdir, 'tokenizer_config.json'), tokenizer_config(bert_cfg['max_position_embeddings']))
    bert = seeded_init(TinyBert(bert_cfg), SEED + 1)
    ids, mask = pad_batch(ids_list)
    tt = torch.zeros_like(ids)
    dyn = {0: 'batch_size', 1: 'sequence_length'}
    export(bert, (ids, mask, tt), os.path.join(bdir, 'onnx', 'model.onnx'), ['input_ids', 'attention_mask', 'token_type_ids'], ['last_hidden_state'],
           {'input_ids': dyn, 'attention_mask': dyn, 'token_type_ids': dyn, 'last_hidden_state': dyn})
    nq = quantize_dynamic_q8(os.path.join(bdir, 'onnx', 'model.onnx'), os.path.join(bdir, 'onnx', 'model_quantized.onnx'))
    with torch.no_grad():
        h = bert(ids, mask, tt)
        m = mask.unsqueeze(-1).to(torch.float32)
        mean = (h * m).sum(1) / m.sum(1)  # transformers.js mean_pooling over the attention mask
    expected['bert'] = {'dim': bert_cfg['hidden_size'], 'text_vectors': l2(mean.numpy()), 'quantized_matmuls': nq}

    # --- tiny-clip -------------------------------------------------------------------------
    proj = 16
    text_cfg = {'model_type': 'clip_text_model', 'vocab_size': len(vocab), 'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2,
                'num_attention_heads': 4, 'max_position_embeddings': 64, 'hidden_act': 'quick_gelu', 'layer_norm_eps': 1e-5,
                'pad_token_id': 0, 'bos_token_id': vocab['[CLS]'], 'eos_token_id': vocab['[SEP]'], 'projection_dim': proj}
    vision_cfg = {'model_type': 'clip_vision_model', 'image_size': 32, 'patch_size': 8, 'num_channels': 3, 'hidden_size': 32, 'intermediate_size': 64,
                  'num_hidden_layers': 2, 'num_attention_heads': 4, 'hidden_act': 'quick_gelu', 'layer_norm_eps': 1e-5, 'projection_dim': proj}
    clip_cfg = {'architectures': ['CLIPModel'], 'model_type': 'clip', 'projection_dim': proj, 'logit_scale_init_value': 2.6592,
                'text_config': text_cfg, 'vision_config': vision_cfg}
    cdir = os.path.join(OUT, 'tiny-clip')
    os.makedirs(os.path.join(cdir, 'onnx'), exist_ok=True)
    write_json(os.path.join(cdir, 'config.json'), clip_cfg)
    write_json(os.path.join(cdir, 'tokenizer.json'), tokenizer_json(vocab))
    write_json(os.path.join(cdir, 'tokenizer_config.json'), tokenizer_config(text_cfg['max_position_embeddings']))
    write_json(os.path.join(cdir, 'preprocessor_config.json'), {
        'image_processor_type': 'CLIPImageProcessor', 'do_convert_rgb': True, 'do_resize': True, 'size': {'shortest_edge': 32}, 'resample': 3,
        'do_center_crop': True, 'crop_size': {'height': 32, 'width': 32}, 'do_rescale': True, 'rescale_factor': 1 / 255,
        'do_normalize': True, 'image_mean': CLIP_MEAN, 'image_std': CLIP_STD,
    })
    vision = seeded_init(TinyClipVision(vision_cfg, proj), SEED + 2)
    text = seeded_init(TinyClipText(text_cfg, proj), SEED + 3)
    imgs = test_images(vision_cfg['image_size'])
    pixels = torch.cat([clip_pixels(v) for v in imgs.values()])
    bdyn = {0: 'batch_size'}
    export(vision, (pixels,), os.path.join(cdir, 'onnx', 'vision_model.onnx'), ['pixel_values'], ['image_embeds', 'last_hidden_state'],
           {'pixel_values': bdyn, 'image_embeds': bdyn, 'last_hidden_state': bdyn})
    export(text, (ids, mask), os.path.join(cdir, 'onnx', 'text_model.onnx'), ['input_ids', 'attention_mask'], ['text_embeds', 'last_hidden_state'],
           {'input_ids': dyn, 'attention_mask': dyn, 'text_embeds': {0: 'batch_size'}, 'last_hidden_state': dyn})
    with torch.no_grad():
        img_emb, _ = vision(pixels)
        txt_emb, _ = text(ids, mask)
    expected['clip'] = {
        'dim': proj,
        'text_vectors': l2(txt_emb.numpy()),
        'images': [{'name': k, 'width': v.shape[1], 'height': v.shape[0], 'rgba_base64': base64.b64encode(v.tobytes()).decode()} for k, v in imgs.items()],
        'image_vectors': l2(img_emb.numpy()),
    }
    write_png(os.path.join(OUT, 'red-square.png'), imgs['red-square'])
    write_json(os.path.join(OUT, 'expected.json'), expected)

    total = 0
    for d, _, files in sorted(os.walk(OUT)):
        for f in sorted(files):
            p = os.path.join(d, f)
            total += os.path.getsize(p)
            digest = hashlib.sha256(open(p, 'rb').read()).hexdigest()[:12]
            print(f'{os.path.relpath(p, ROOT):60s} {os.path.getsize(p):8d}  {digest}')
    print(f'total {total} bytes')
    if total > 1_000_000:
        sys.exit('fixtures grew past 1 MB; shrink the models')


if __name__ == '__main__':
    main()
