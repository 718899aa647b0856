#!/usr/bin/env python3
"""PyTorch CPU eager baseline for `npm run bench`: the same BERT-style encoder as scripts/bench/bert.ts (any size:
config.json gives it, BERT-mini or BERT-base), in plain
torch (nn.Module, no transformers), trained with AdamW on the same batch, same initial weights.

  python3 scripts/bench/torch_bert_mini.py --dir DIR --config full|frozen|lora [--steps 5] [--warmup 2] [--threads 2]

DIR holds what the bench wrote: config.json (sizes), batch.json, weights.bin + weights.json (ONNX layout; MatMul
weights are [in, out], the transpose of Linear.weight). Prints one JSON line with the timings and the peak RSS.
Debian: apt-get install python3-torch libopenblas0-pthread
"""
import argparse
import json
import math
import os
import resource
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).permute(0, 2, 1, 3)
        return ctx.reshape(x.shape)


class DenseLN(nn.Module):
    def __init__(self, n_in, hidden, eps):
        super().__init__()
        self.dense = nn.Linear(n_in, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, hidden, heads, eps):
        super().__init__()
        setattr(self, 'self', SelfAttention(hidden, heads))
        self.output = DenseLN(hidden, hidden, eps)

    def forward(self, x, mask):
        return self.output(getattr(self, 'self')(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, hidden, inter):
        super().__init__()
        self.dense = nn.Linear(hidden, inter)

    def forward(self, x):
        return F.gelu(self.dense(x))  # erf GELU


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c['hiddenSize'], c['numHeads'], c['layerNormEps'])
        self.intermediate = Intermediate(c['hiddenSize'], c['intermediateSize'])
        self.output = DenseLN(c['intermediateSize'], c['hiddenSize'], c['layerNormEps'])

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c['hiddenSize']
        self.word_embeddings = nn.Embedding(c['vocabSize'], h)
        self.position_embeddings = nn.Embedding(c['maxPositions'], h)
        self.token_type_embeddings = nn.Embedding(c['typeVocabSize'], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c['layerNormEps'])
        self.register_buffer('position_ids', torch.arange(c['maxPositions']).unsqueeze(0), persistent=False)

    def forward(self, ids):
        s = ids.shape[1]
        types = torch.zeros_like(ids)
        x = self.word_embeddings(ids) + self.token_type_embeddings(types) + self.position_embeddings(self.position_ids[:, :s])
        return self.LayerNorm(x)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c['numLayers'])])


class Pooler(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.dense = nn.Linear(h, h)


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c['hiddenSize'])


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        self.classifier = nn.Linear(c['hiddenSize'], c['numLabels'])

    def forward(self, ids, attention_mask):
        mask = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        x = self.bert.embeddings(ids)
        for layer in self.bert.encoder.layer:
            x = layer(x, mask)
        pooled = torch.tanh(self.bert.pooler.dense(x[:, 0]))
        return self.classifier(pooled)


def load_weights(model, d):
    entries = json.load(open(os.path.join(d, 'weights.json')))
    flat = np.fromfile(os.path.join(d, 'weights.bin'), dtype=np.float32)
    state = {}
    for e in entries:
        n = int(np.prod(e['dims']))
        t = torch.from_numpy(flat[e['offset']:e['offset'] + n].reshape(e['dims']).copy())
        state[e['name']] = t.t().contiguous() if e['layout'] == 'in_out' else t
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise SystemExit(f'weights do not match the model: missing {missing}, unexpected {unexpected}')


class LoraLinear(nn.Module):
    """PEFT's LoRA on a frozen Linear: base(x) + lora_B(lora_A(x)) * alpha/r, A Kaiming-uniform (a=√5), B zero."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base, self.scaling = base, alpha / r
        base.requires_grad_(False)
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


def add_lora(model, r, alpha):
    """LoRA on every query and value projection; everything but the adapters and the classifier frozen."""
    model.requires_grad_(False)
    for layer in model.bert.encoder.layer:
        att = getattr(layer.attention, 'self')
        att.query = LoraLinear(att.query, r, alpha)
        att.value = LoraLinear(att.value, r, alpha)
    model.classifier.requires_grad_(True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--config', choices=['full', 'frozen', 'lora'], required=True)
    ap.add_argument('--frozen-layers', type=int, default=2)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--lr', type=float, default=5e-5)
    ap.add_argument('--weight-decay', type=float, default=0.01)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    c = json.load(open(os.path.join(a.dir, 'config.json')))
    b = json.load(open(os.path.join(a.dir, 'batch.json')))
    ids = torch.tensor(b['inputIds'], dtype=torch.int64).view(b['batch'], b['seq'])
    mask = torch.tensor(b['attentionMask'], dtype=torch.int64).view(b['batch'], b['seq'])
    labels = torch.tensor(b['labels'], dtype=torch.int64)

    t0 = time.perf_counter()
    model = BertForSequenceClassification(c)
    load_weights(model, a.dir)
    model.train()  # no dropout in this model: train and eval compute the same thing
    if a.config == 'frozen':
        model.bert.embeddings.requires_grad_(False)
        for layer in model.bert.encoder.layer[:a.frozen_layers]:
            layer.requires_grad_(False)
    if a.config == 'lora':
        add_lora(model, r=8, alpha=16)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=a.weight_decay)
    setup = time.perf_counter() - t0
    setup_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    steps, fwd_bwd, optim, losses = [], [], [], []
    faults = 0
    for s in range(a.warmup + a.steps):
        if s == a.warmup:
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids, mask), labels)
        loss.backward()
        t1 = time.perf_counter()
        opt.step()
        t2 = time.perf_counter()
        losses.append(loss.item())
        if s >= a.warmup:
            steps.append(t2 - t0)
            fwd_bwd.append(t1 - t0)
            optim.append(t2 - t1)

    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    trainable = sum(p.numel() for p in params)
    total = sum(p.numel() for p in model.parameters())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mib = 4 / 2 ** 20
    # Same accounting as the engine's (scripts/bench/ort-run.ts): runtime = peak RSS minus the tensors counted.
    memory = {'params': trainable * mib, 'grads': trainable * mib, 'optimizer': 2 * trainable * mib,
              'frozen': (total - trainable) * mib, 'otherJs': 0}
    memory['runtime'] = peak - sum(memory.values())
    print(json.dumps({
        'id': a.config,
        'torch': torch.__version__,
        'blas': blas_info(),
        'threads': torch.get_num_threads(),
        'trainable': trainable,
        'total': total,
        'setupSeconds': setup,
        'stepSeconds': statistics.median(steps),
        'trainStepSeconds': statistics.median(fwd_bwd),
        'optimizerStepSeconds': statistics.median(optim),
        'steps': steps,
        'pageFaultsPerStep': faults / a.steps,
        'losses': losses,
        'setupPeakRssMiB': setup_rss,
        'peakRssMiB': peak,
        'setupPhases': {'build': setup},
        'memory': memory,
    }))


def blas_info():
    """The BLAS library actually loaded (Debian's torch says BLAS_INFO=generic and uses the libblas.so.3 alternative)."""
    libs = sorted({line.split()[-1] for line in open('/proc/self/maps') if 'blas' in line.split()[-1]})
    named = [os.path.basename(l) for l in libs if 'openblas' in l or 'mkl' in l] or [os.path.basename(l) for l in libs]
    return ', '.join(named) or 'unknown'


if __name__ == '__main__':
    main()
