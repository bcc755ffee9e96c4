"""The bench model's training step in plain PyTorch: the side-by-side reference for `npm run bench`.

Same model as bench/models.ts BENCH_MODEL (Llama decoder: hidden 512, 8 layers, 8 heads, head dim
64, SwiGLU 1376, vocab 8192, untied lm_head, RMSNorm eps 1e-5, RoPE theta 1e4 by rotate-half), the
same batch (4 x 256 tokens, a 16-token prompt ignored by the loss), the same FLOPs (attention over
the full S x S scores with an additive causal mask, as lift-sft's graph computes it) and the same
optimizer settings as lift-sft's methods:

- full: AdamW (torch.optim.AdamW: betas 0.9/0.95, eps 1e-8, weight decay 0.01, lr 5e-5) on every
  q/k/v/o/gate/up/down weight; embeddings, norms and lm_head frozen; global-norm clipping at 1.
- lora: r 16, alpha 32, dropout 0 on the same targets; A Kaiming-uniform, B = 0; AdamW on A and B
  (weight decay 0, lr 2e-4); clipping at 1.
- lift: the rank-16 budget k = (m+n)*16 entries per target; dense backward of W (as lift-sft
  computes dW and gathers its k entries), then AdamW on the masked entries only, with first and
  second moments of size k (betas 0.9/0.95, eps 1e-6, weight decay 0, lr 2e-4; the update form
  of lift-sft's sparse-adam); clipping at 1 over the k gradients. The mask is the top-k of |W|
  (the mask's choice does not change a step's cost; selecting it is not timed, as in lift-sft).

Usage: python3 bench/pytorch/train_step.py '{"method":"full","steps":8,"warmup":2,"threads":2}'
Prints one JSON line last (the same fields as bench/train-step.ts where they apply).
Step k's time is the wall time of iteration k (forward, backward, clipping, update); the first
`warmup` steps and the last step are not timed, as in lift-sft's bench.
"""
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = dict(vocab=8192, hidden=512, inter=1376, layers=8, heads=8, head_dim=64, eps=1e-5, theta=10000.0)
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class LoraLinear(nn.Module):
    """W x + (alpha/r) B A x with W frozen (PEFT's lora.Linear without dropout)."""

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scale


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, i = c["hidden"], c["inter"]
        self.input_layernorm = RMSNorm(d, c["eps"])
        self.post_attention_layernorm = RMSNorm(d, c["eps"])
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.o_proj = nn.Linear(d, d, bias=False)
        self.gate_proj = nn.Linear(d, i, bias=False)
        self.up_proj = nn.Linear(d, i, bias=False)
        self.down_proj = nn.Linear(i, d, bias=False)
        self.heads, self.hd = c["heads"], c["head_dim"]

    def forward(self, x, cos, sin, mask):
        b, s, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, s, self.heads, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(b, s, self.heads, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(b, s, self.heads, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
        a = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, s, -1)
        x = x + self.o_proj(a)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab"], c["hidden"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["layers"])])
        self.norm = RMSNorm(c["hidden"], c["eps"])
        self.lm_head = nn.Linear(c["hidden"], c["vocab"], bias=False)
        self.c = c

    def forward(self, ids, labels):
        b, s = ids.shape
        hd = self.c["head_dim"]
        inv = self.c["theta"] ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
        f = torch.outer(torch.arange(s, dtype=torch.float32), inv)
        emb = torch.cat((f, f), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((s, s), float("-inf")).triu(1)
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        logits = self.lm_head(self.norm(x))
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)


def targets(model):
    for layer in model.layers:
        for name in TARGETS:
            yield layer, name, getattr(layer, name)


class MaskedAdamW:
    """AdamW on k masked entries per matrix, moments of size k (lift-sft's sparse-adam update)."""

    def __init__(self, weights, indices, lr, betas=(0.9, 0.95), eps=1e-6):
        self.w, self.idx, self.lr, self.b1, self.b2, self.eps, self.t = weights, indices, lr, betas[0], betas[1], eps, 0
        self.m = [torch.zeros(i.numel()) for i in indices]
        self.v = [torch.zeros(i.numel()) for i in indices]

    def grads(self):
        return [w.grad.view(-1).index_select(0, i) for w, i in zip(self.w, self.idx)]

    @torch.no_grad()
    def step(self, grads):
        self.t += 1
        size = self.lr * math.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t)
        for w, i, g, m, v in zip(self.w, self.idx, grads, self.m, self.v):
            m.mul_(self.b1).add_(g, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            flat = w.view(-1)
            flat.index_copy_(0, i, flat.index_select(0, i) - size * m / (v.sqrt() + self.eps))


def gemm_peak(spec):
    """torch.mm fp32 GFLOP/s (the BLAS torch links: OpenBLAS with libopenblas0-pthread): the shapes of bench/matmul-peak.ts, or spec["shapes"] ([m, k, n, repeats] each)."""
    out = []
    shapes = spec.get("shapes") or ((1024, 1024, 1024, 20), (4096, 4096, 1024, 6))
    for (m, k, n, reps) in shapes:
        a, b = torch.randn(m, k), torch.randn(k, n)
        for _ in range(2):
            torch.mm(a, b)
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            torch.mm(a, b)
            ts.append(time.perf_counter() - t0)
        med = sorted(ts)[len(ts) // 2]
        out.append(dict(m=m, k=k, n=n, seconds=med, gflops=2 * m * k * n / med / 1e9))
    blas = "unknown"
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower()}
        blas = ", ".join(sorted(libs)) or "unknown"
    except OSError:
        pass
    print()
    print(json.dumps(dict(framework="pytorch", torch=torch.__version__, threads=torch.get_num_threads(), blas=blas, peaks=out)))


def main():
    spec = json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}")
    if spec.get("method") == "gemm":
        torch.set_num_threads(int(spec.get("threads", 2)))
        return gemm_peak(spec)
    method, steps, warmup = spec.get("method", "full"), int(spec.get("steps", 8)), max(1, int(spec.get("warmup", 2)))
    batch, seq, rank = int(spec.get("batch", 4)), int(spec.get("seq", 256)), int(spec.get("rank", 16))
    torch.set_num_threads(int(spec.get("threads", 2)))
    torch.manual_seed(1)
    c = CFG
    model = Model(c)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.02)
    for p in model.parameters():
        p.requires_grad_(False)

    if method == "full":
        params = []
        for _, _, lin in targets(model):
            lin.weight.requires_grad_(True)
            params.append(lin.weight)
        opt = torch.optim.AdamW(params, lr=5e-5, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.01)
        trainable = sum(p.numel() for p in params)
        state_bytes = 2 * 4 * trainable
    elif method == "lora":
        params = []
        for layer, name, lin in targets(model):
            wrapped = LoraLinear(lin, rank, 2.0 * rank)
            setattr(layer, name, wrapped)
            params += [wrapped.lora_A, wrapped.lora_B]
        opt = torch.optim.AdamW(params, lr=2e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
        trainable = sum(p.numel() for p in params)
        state_bytes = 2 * 4 * trainable
    elif method == "lift":
        weights, indices = [], []
        for _, _, lin in targets(model):
            w = lin.weight
            m, n = w.shape
            k = min((m + n) * rank, m * n)
            indices.append(torch.topk(w.detach().abs().view(-1), k).indices.sort().values)
            w.requires_grad_(True)
            weights.append(w)
        opt = MaskedAdamW(weights, indices, lr=2e-4)
        params = weights
        trainable = sum(i.numel() for i in indices)
        state_bytes = 2 * 4 * trainable
    else:
        raise SystemExit(f"unknown method {method!r} (full, lora, lift)")

    g = torch.Generator().manual_seed(7)
    times, losses = [], []
    for step in range(steps):
        ids = torch.randint(3, c["vocab"], (batch, seq), generator=g)
        ids[:, 0] = 1
        labels = ids.clone()
        labels[:, :16] = -100
        t0 = time.perf_counter()
        loss = model(ids, labels)
        loss.backward()
        if method == "lift":
            grads = opt.grads()
            norm = torch.sqrt(sum(gr.pow(2).sum() for gr in grads))
            coef = min(1.0, 1.0 / (float(norm) + 1e-6))
            if coef < 1:
                for gr in grads:
                    gr.mul_(coef)
            opt.step(grads)
        else:
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        for p in params:
            p.grad = None
        losses.append(float(loss))
        times.append(time.perf_counter() - t0)

    timed = times[warmup : max(warmup + 1, len(times) - 1)] or times
    med = sorted(timed)[len(timed) // 2] if len(timed) % 2 else sum(sorted(timed)[len(timed) // 2 - 1 : len(timed) // 2 + 1]) / 2
    print()
    print(
        json.dumps(
            dict(
                framework="pytorch",
                torch=torch.__version__,
                threads=torch.get_num_threads(),
                method=method,
                batch=batch,
                seq=seq,
                tokensPerStep=batch * seq,
                stepSeconds=timed,
                medianStepSeconds=med,
                tokensPerSecond=batch * seq / med,
                trainableParams=trainable,
                optimizerStateBytes=state_bytes,
                losses=losses,
                maxRssBytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            )
        )
    )


if __name__ == "__main__":
    main()
