"""PyTorch reference of molar-web's SASRec (src/models/sasrec/model.ts), same architecture and weight names.

  speed:  python3 bench/torch_reference.py speed --batch 128 --len 200 --items 3416 --negatives 512
          -> one JSON line with ms/step of one Adam step on CPU (same shapes as bench/train-speed.ts)
  export: python3 bench/torch_reference.py export --out DIR [--block pre-ln|sasrec] [--positions from-newest|from-oldest]
          -> trains a tiny model a few steps, writes DIR/sasrec.bin (little-endian float32, spec order),
             DIR/entry.json (SasrecEntry config + weights) and DIR/expected.json (inputs and scores),
             which src/train/torch-export.test.ts and e2e/torch-export.spec.ts load in tfjs and compare within 1e-4.
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse, json, math, os, time
import numpy as np
import torch
import torch.nn.functional as F

LN_EPS = 1e-8
MASKED = -1e9


def specs(n_items, max_len, d, blocks, inner=None):
    f = inner or d  # FFN inner width (ffnInner; SASRec's own FFN keeps d)
    s = [("item_embedding", [n_items + 1, d]), ("position_embedding", [max_len, d])]
    for b in range(blocks):
        p = f"blocks.{b}."
        s += [(p + "attn_ln.gamma", [d]), (p + "attn_ln.beta", [d]), (p + "attn.qkv.weight", [d, 3 * d]), (p + "attn.qkv.bias", [3 * d]),
              (p + "attn.out.weight", [d, d]), (p + "attn.out.bias", [d]), (p + "ffn_ln.gamma", [d]), (p + "ffn_ln.beta", [d]),
              (p + "ffn.w1", [d, f]), (p + "ffn.b1", [f]), (p + "ffn.w2", [f, d]), (p + "ffn.b2", [d])]
    return s + [("final_ln.gamma", [d]), ("final_ln.beta", [d])]


class Sasrec(torch.nn.Module):
    def __init__(self, n_items, max_len, d, blocks, heads, dropout, seed=0, inner=None, block="pre-ln", positions="from-newest"):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.cfg = dict(numItems=n_items, maxLen=max_len, hidden=d, ffnInner=inner or d, blocks=blocks, block=block, positions=positions, heads=heads, dropout=dropout)
        self.names = [n for n, _ in specs(n_items, max_len, d, blocks, inner)]
        self.w = torch.nn.ParameterDict()
        for n, shape in specs(n_items, max_len, d, blocks, inner):
            if n.endswith("gamma"):
                t = torch.ones(shape)
            elif len(shape) == 2:
                t = torch.randn(shape, generator=g) * math.sqrt(2 / (shape[0] + shape[1]))
            else:
                t = torch.zeros(shape)
            self.w[n.replace(".", "__")] = torch.nn.Parameter(t)
        with torch.no_grad():
            self.p("item_embedding")[0].zero_()

    def p(self, name):
        return self.w[name.replace(".", "__")]

    def ln(self, x, pre):
        return F.layer_norm(x, x.shape[-1:], self.p(pre + ".gamma"), self.p(pre + ".beta"), LN_EPS)

    def forward(self, seq):
        B, L = seq.shape
        d, H, drop = self.cfg["hidden"], self.cfg["heads"], self.cfg["dropout"] if self.training else 0.0
        valid = (seq != 0).float()
        table = self.p("position_embedding")
        if self.cfg["positions"] == "from-oldest":
            # row i = the window's i-th oldest real item (SASRec+); padding reads row 0 and is zeroed below
            pos = table[(valid.cumsum(1) - 1).clamp(min=0).long()]
        else:
            pos = torch.flip(table[:L], [0])  # row 0 = the newest position
        x = self.p("item_embedding")[seq] * math.sqrt(d) + pos
        x = F.dropout(x, drop, self.training) * valid[..., None]
        allowed = torch.tril(torch.ones(L, L))[None] * valid[:, None, :]
        mask = (1 - allowed) * MASKED
        for b in range(self.cfg["blocks"]):
            pf = f"blocks.{b}."
            original = self.cfg["block"] == "sasrec"  # the paper's block: K, V from un-normalised x; residuals onto LN outputs
            h = self.ln(x, pf + "attn_ln")
            w, bias = self.p(pf + "attn.qkv.weight"), self.p(pf + "attn.qkv.bias")
            q = h @ w[:, :d] + bias[:d]
            k, v = ((x if original else h) @ w[:, d:] + bias[d:]).split(d, -1)
            dh = d // H
            sh = lambda t: t.view(B, L, H, dh).transpose(1, 2)
            scores = sh(q) @ sh(k).transpose(-1, -2) / math.sqrt(dh) + mask[:, None]
            o = F.dropout(torch.softmax(scores, -1), drop, self.training) @ sh(v)
            att = o.transpose(1, 2).reshape(B, L, d)
            o = att @ self.p(pf + "attn.out.weight") + self.p(pf + "attn.out.bias")
            x = h + o if original else x + F.dropout(o, drop, self.training)
            g = self.ln(x, pf + "ffn_ln")
            f = F.dropout(torch.relu(g @ self.p(pf + "ffn.w1") + self.p(pf + "ffn.b1")), drop, self.training) @ self.p(pf + "ffn.w2") + self.p(pf + "ffn.b2")
            x = ((g if original else x) + F.dropout(f, drop, self.training)) * valid[..., None]
        return self.ln(x, "final_ln")

    def sampled_ce(self, seq, targets, negatives):
        """SASRec+ sampled softmax with batch-shared negatives, accidental hits masked (as src/train/losses.ts)."""
        d = self.cfg["hidden"]
        rows = targets.reshape(-1) != 0
        u = self.forward(seq).reshape(-1, d)[rows]
        t = targets.reshape(-1)[rows]
        emb = self.p("item_embedding")
        pos = (u * emb[t]).sum(-1)
        neg = u @ emb[negatives].T + (t[:, None] == negatives[None]).float() * MASKED
        return (torch.logsumexp(torch.cat([pos[:, None], neg], 1), 1) - pos).mean()

    def blob(self):
        return np.concatenate([self.p(n).detach().numpy().astype("<f4").reshape(-1) for n in self.names])


def random_batch(rng, B, L, n_items):
    lens = rng.integers(2, L + 2, size=B)
    seq = np.zeros((B, L), dtype=np.int64)
    tgt = np.zeros((B, L), dtype=np.int64)
    for b, n in enumerate(lens):
        s = rng.integers(1, n_items + 1, size=n)
        m = min(L, n - 1)
        seq[b, L - m:] = s[n - 1 - m:n - 1]
        tgt[b, L - m:] = s[n - m:]
    return torch.from_numpy(seq), torch.from_numpy(tgt)


def cmd_speed(a):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    m = Sasrec(a.items, a.len, a.hidden, a.blocks, a.heads, 0.2, block=a.block, positions=a.positions)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.9, 0.98))
    # full-length rows, as bench/train-speed.ts: every position has a target
    seq = torch.from_numpy(rng.integers(1, a.items + 1, size=(a.batch, a.len)))
    tgt = torch.from_numpy(rng.integers(1, a.items + 1, size=(a.batch, a.len)))
    times = []
    for i in range(a.warmup + a.steps):
        neg = torch.from_numpy(rng.choice(np.arange(1, a.items + 1), size=a.negatives, replace=False))
        t = time.perf_counter()
        opt.zero_grad()
        loss = m.sampled_ce(seq, tgt, neg)
        loss.backward()
        opt.step()
        if i >= a.warmup:
            times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"ms_per_step": float(np.median(times)), "threads": torch.get_num_threads(), "torch": torch.__version__, "loss": float(loss)}))


def cmd_export(a):
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    n_items, L, d, inner = 40, 12, 16, 24
    m = Sasrec(n_items, L, d, 2, 2, 0.2, seed=1, inner=inner, block=a.block, positions=a.positions)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(5):
        seq, tgt = random_batch(rng, 8, L, n_items)
        neg = torch.from_numpy(rng.choice(np.arange(1, n_items + 1), size=10, replace=False))
        opt.zero_grad()
        m.sampled_ce(seq, tgt, neg).backward()
        opt.step()
    m.eval()
    seq, _ = random_batch(rng, 4, L, n_items)
    with torch.no_grad():
        scores = m.forward(seq)[:, -1] @ m.p("item_embedding").T
    os.makedirs(a.out, exist_ok=True)
    m.blob().tofile(os.path.join(a.out, "sasrec.bin"))
    entry = {"kind": "sasrec", "files": ["sasrec.bin"], "config": {**m.cfg, "loss": "sampled-ce"},
             "weights": [{"name": n, "shape": s, "dtype": "float32"} for n, s in specs(n_items, L, d, 2, inner)],
             "trainedWith": {"loss": "sampled-ce", "epochs": 0}}
    json.dump(entry, open(os.path.join(a.out, "entry.json"), "w"))
    json.dump({"seq": seq.tolist(), "scores": scores.tolist()}, open(os.path.join(a.out, "expected.json"), "w"))
    print(json.dumps({"out": a.out}))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("speed")
    for k, v in dict(batch=128, len=200, items=3416, negatives=512, hidden=64, blocks=2, heads=1, steps=5, warmup=2, threads=1).items():
        s.add_argument("--" + k, type=int, default=v)
    s.add_argument("--block", choices=["pre-ln", "sasrec"], default="pre-ln")
    s.add_argument("--positions", choices=["from-newest", "from-oldest"], default="from-newest")
    e = sub.add_parser("export")
    e.add_argument("--out", required=True)
    e.add_argument("--block", choices=["pre-ln", "sasrec"], default="pre-ln")
    e.add_argument("--positions", choices=["from-newest", "from-oldest"], default="from-newest")
    a = ap.parse_args()
    if a.cmd == "speed":
        torch.set_num_threads(a.threads)
        cmd_speed(a)
    else:
        cmd_export(a)
