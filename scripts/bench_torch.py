#!/usr/bin/env python3
"""PyTorch-CPU side of scripts/bench-ort.ts: the same GPT-2 shapes and steps as `ewc-lm bench`.

A plain PyTorch GPT-2 (Hugging Face GPT2LMHeadModel's math: pre-LN blocks, fused qkv Linear, causal softmax
attention, tanh-GELU, tied LM head), random init, random tokens [batch, n_ctx].
  train: AdamW (lr 1e-4, wd 0.01) step with clip_grad_norm_(1.0) on the mean next-token cross-entropy;
  eval:  per-token NLL [B, T-1] under torch.no_grad().
Prints one JSON line: tokens_per_s (median step after warm-up), step_s, peak_rss_mib (ru_maxrss).
Run with Debian's python3-torch: /usr/bin/python3 scripts/bench_torch.py --threads 2 --mode train ...
"""
import argparse
import json
import math
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c, h):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(c, eps=1e-5)
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c, eps=1e-5)
        self.c_fc = nn.Linear(c, 4 * c)
        self.mlp_proj = nn.Linear(4 * c, c)

    def forward(self, x, mask):
        b, t, c = x.shape
        d = c // self.h
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q = q.view(b, t, self.h, d).transpose(1, 2)
        k = k.view(b, t, self.h, d).transpose(1, 2)
        v = v.view(b, t, self.h, d).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d))
        att = att.masked_fill(mask[:t, :t], torch.finfo(att.dtype).min).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT2(nn.Module):
    def __init__(self, n_layer, n_head, n_embd, n_ctx, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(n_ctx, n_embd)
        self.h = nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd, eps=1e-5)
        self.register_buffer("mask", torch.triu(torch.ones(n_ctx, n_ctx, dtype=torch.bool), 1), persistent=False)
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(t))
        for blk in self.h:
            x = blk(x, self.mask)
        return self.ln_f(x) @ self.wte.weight.t()  # tied head, logits [B, T, V]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["train", "eval"], default="train")
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-embd", type=int, default=256)
    ap.add_argument("--n-ctx", type=int, default=128)
    ap.add_argument("--vocab", type=int, default=50257)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = GPT2(a.n_layer, a.n_head, a.n_embd, a.n_ctx, a.vocab)
    ids = torch.randint(0, a.vocab, (a.batch, a.n_ctx))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    times = []
    for k in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        if a.mode == "train":
            logits = model(ids)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab), ids[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        else:
            with torch.no_grad():
                logits = model(ids)
                nll = -logits[:, :-1].log_softmax(-1).gather(-1, ids[:, 1:, None])[..., 0]
                nll.sum().item()
        dt = time.perf_counter() - t0
        print(f"torch {a.mode} step {k + 1}: {dt:.3f} s", file=sys.stderr)
        if k >= a.warmup:
            times.append(dt)
    step = statistics.median(times)
    print(json.dumps({
        "engine": "torch",
        "mode": a.mode,
        "threads": a.threads,
        "torch": torch.__version__,
        "shape": {"n_layer": a.n_layer, "n_head": a.n_head, "n_embd": a.n_embd, "n_ctx": a.n_ctx, "vocab": a.vocab, "batch": a.batch},
        "tokens_per_s": a.batch * a.n_ctx / step,
        "step_s": step,
        "step_s_all": times,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
