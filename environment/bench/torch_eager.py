#!/usr/bin/env python3
"""PyTorch-eager reference for the kit's pixel network (issue: network within 1.10x of PyTorch eager).

Not part of the kit and never one of its dependencies: run it in a scratch virtual environment that has torch,
on the export the kit writes:

    environment/kit bench --only torch-export                  # results/bench/torch-export/
    python -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch==2.5.1 numpy
    /tmp/torchvenv/bin/python environment/bench/torch_eager.py results/bench/torch-export \
        --batch 1,16 --threads 1,2 --warmup 3 --repeat 15 [--kit results/bench/network-quick.csv] [--scaling]

It rebuilds the kit's UNet (org.diffinv.nn.UNet, ResBlock, AttentionBlock, GroupNorm, TimeEmbedding) in idiomatic
PyTorch (nn.GroupNorm, F.silu, nn.Conv2d, nn.Linear, attention written out as in the kit), loads the exported
weights by name, checks that its output on the exported input matches the kit's to 1e-5, counts the aten operations
of one forward, and times forward and forward + backward to x_t with the kit's protocol (fresh seeded inputs made
outside the timed region; warm-up, then the median of the timed calls; forward without gradient recording).
Writes torch-eager.csv next to the export; with --kit, prints the kit/PyTorch ratio per row of the kit's network CSV;
with --scaling, also times the largest batch split in two halves on two single-threaded Python threads and prints
every batch speed-up over batch 1 at one thread (what bounds the bench's batch speed-up for a network-bound solver).

Block-wise medians of two separate processes drift with the shared machine; the paired comparison is the kit's own:

    environment/kit bench --only torch --python /tmp/torchvenv/bin/python [--batch 1,16] [--threads 1,2] [--repeat 31]

starts this script with --serve and times one kit call and one PyTorch call back to back, in alternating order,
per pair (TorchReference.pairs), so the drift cancels within a pair.
"""
import argparse
import csv
import json
import math
import os
import re
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def groups_for(groups, channels):
    g = min(groups, channels)
    while channels % g != 0:
        g -= 1
    return g


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups_for(groups, cin), cin, eps=1e-5)
        self.conv1 = conv3x3(cin, cout)
        self.film = nn.Linear(emb, 2 * cout)
        self.norm2 = nn.GroupNorm(groups_for(groups, cout), cout, eps=1e-5)
        self.conv2 = conv3x3(cout, cout)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None
        self.cout = cout

    def forward(self, x, silu_emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.norm2(h)
        scale, shift = self.film(silu_emb).reshape(-1, 2 * self.cout, 1, 1).chunk(2, dim=1)
        h = h * (scale + 1) + shift
        h = self.conv2(F.silu(h))
        return h + (x if self.skip is None else self.skip(x))


class AttentionBlock(nn.Module):
    def __init__(self, channels, heads, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups_for(groups, channels), channels, eps=1e-5)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj = nn.Linear(channels, channels)
        self.heads = heads
        self.channels = channels

    def split(self, a):
        n, l, _ = a.shape
        return a.reshape(n, l, self.heads, self.channels // self.heads).transpose(1, 2)

    def forward(self, x):
        n, c, hh, ww = x.shape
        u = self.norm(x).reshape(n, c, hh * ww).transpose(1, 2)
        q, k, v = self.qkv(u).chunk(3, dim=2)
        scale = 1.0 / math.sqrt(c / self.heads)
        w = (self.split(q) @ self.split(k).transpose(2, 3) * scale).softmax(-1)
        o = (w @ self.split(v)).transpose(1, 2).reshape(n, hh * ww, c)
        return self.proj(o).transpose(1, 2).reshape(n, c, hh, ww) + x


class TimeEmbedding(nn.Module):
    def __init__(self, dim, out):
        super().__init__()
        self.fc1 = nn.Linear(dim, out)
        self.fc2 = nn.Linear(out, out)
        h = dim // 2
        self.register_buffer("f", (torch.arange(0, h, dtype=torch.float32) * (-math.log(10000.0) / h)).exp()
                             .reshape(1, h))

    def forward(self, t):
        arg = t.reshape(-1, 1) * self.f
        return self.fc2(F.silu(self.fc1(torch.cat([arg.sin(), arg.cos()], 1))))


class UNet(nn.Module):
    """The kit's UNet for an unconditioned config (the pixel prior): same stages, same order, same names."""

    def __init__(self, cfg):
        super().__init__()
        if cfg["conditioning"] != "none":
            raise SystemExit("torch_eager.py rebuilds the unconditioned pixel UNet only, got conditioning "
                             + cfg["conditioning"])
        base, g = cfg["baseChannels"], cfg["groups"]
        emb = 4 * base
        mults, attn_res = cfg["channelMults"], cfg["attentionResolutions"]
        self.image_size = cfg["imageSize"]
        self.stages = nn.ModuleDict()
        self.plan = []  # (section, kind, name, push_skip, pop_skip)
        self.stages["inConv"] = conv3x3(cfg["inChannels"], base)
        self.stages["time"] = TimeEmbedding(base, emb)
        skips, ch, res = [base], base, cfg["imageSize"]

        def add(section, kind, name, module, push=False, pop=False):
            self.stages[name] = module
            self.plan.append((section, kind, name, push, pop))

        for i, m in enumerate(mults):
            out = base * m
            for b in range(cfg["blocksPerLevel"]):
                add("down", "res", f"down{i}_res{b}", ResBlock(ch, out, emb, g), push=res not in attn_res)
                ch = out
                if res in attn_res:
                    add("down", "attn", f"down{i}_attn{b}", AttentionBlock(ch, cfg["heads"], g), push=True)
                skips.append(ch)
            if i < len(mults) - 1:
                add("down", "down", f"down{i}_ds", conv3x3(ch, ch, stride=2), push=True)
                skips.append(ch)
                res //= 2
        add("mid", "res", "mid_res0", ResBlock(ch, ch, emb, g))
        add("mid", "attn", "mid_attn", AttentionBlock(ch, cfg["heads"], g))
        add("mid", "res", "mid_res1", ResBlock(ch, ch, emb, g))
        for i in reversed(range(len(mults))):
            out = base * mults[i]
            for b in range(cfg["blocksPerLevel"] + 1):
                cin = ch + skips.pop()
                add("up", "res", f"up{i}_res{b}", ResBlock(cin, out, emb, g), pop=True)
                ch = out
                if res in attn_res:
                    add("up", "attn", f"up{i}_attn{b}", AttentionBlock(ch, cfg["heads"], g))
            if i > 0:
                add("up", "up", f"up{i}_us", conv3x3(ch, ch))
                res *= 2
        self.stages["outNorm"] = nn.GroupNorm(groups_for(g, ch), ch, eps=1e-5)
        self.stages["outConv"] = conv3x3(ch, cfg["outChannels"])

    def forward(self, x, t):
        s = self.stages
        silu_emb = F.silu(s["time"](t))
        h = s["inConv"](x)
        skips = [h]
        for section, kind, name, push, pop in self.plan:
            if pop:
                h = torch.cat([h, skips.pop()], 1)
            block = s[name]
            if kind == "res":
                h = block(h, silu_emb)
            elif kind == "attn":
                h = block(h)
            elif kind == "down":
                h = block(h)
            else:
                h = block(F.interpolate(h, scale_factor=2, mode="nearest"))
            if push:
                skips.append(h)
        return s["outConv"](F.silu(s["outNorm"](h)))


def kit_name(torch_name):
    """stages.down0_res0.norm1.weight -> down0_res0_norm1_gamma (the kit's name without DJL's 2-digit prefixes)."""
    parts = torch_name.split(".")[1:]
    return "_".join(parts)


def load(model, export_dir, meta):
    flat = np.fromfile(os.path.join(export_dir, "params.bin"), dtype="<f4")
    kit = {}
    for p in meta["parameters"]:
        name = re.sub(r"(^|_)\d\d", r"\1", p["name"])
        n = int(np.prod(p["shape"]))
        kit[name] = flat[p["offset"]:p["offset"] + n].reshape(p["shape"])
    norms = {n for n, mod in model.named_modules() if isinstance(mod, nn.GroupNorm)}
    used = set()
    with torch.no_grad():
        for tname, param in model.named_parameters():
            owner, leaf = tname.rsplit(".", 1)
            if owner in norms:
                leaf = {"weight": "gamma", "bias": "beta"}[leaf]
            name = kit_name(owner + "." + leaf)
            if name not in kit:
                raise SystemExit(f"no exported parameter {name} for {tname}")
            if tuple(kit[name].shape) != tuple(param.shape):
                raise SystemExit(f"{name}: export shape {kit[name].shape}, torch shape {tuple(param.shape)}")
            param.copy_(torch.from_numpy(kit[name].copy()))
            used.add(name)
    missing = set(kit) - used
    if missing:
        raise SystemExit(f"exported parameters not used by the PyTorch model: {sorted(missing)}")
    return len(used)


def count_ops(model, x, t):
    from torch.utils._python_dispatch import TorchDispatchMode

    class Counter(TorchDispatchMode):
        n = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Counter.n += 1
            return func(*args, **(kwargs or {}))

    with torch.no_grad(), Counter():
        model(x, t)
    return Counter.n


def once(call, model, shape, t_value, gen):
    """One timed call on fresh inputs made outside the timed region; nanoseconds."""
    x = torch.randn(shape, generator=gen)
    v = torch.randn(shape, generator=gen) if call != "forward" else None
    t = torch.full((shape[0],), float(t_value))
    t0 = time.perf_counter_ns()
    if call == "forward":
        with torch.no_grad():
            out = model(x, t)
        del out
    else:
        leaf = x.requires_grad_(True)
        loss = (model(leaf, t) * v).sum()
        loss.backward()
        g = leaf.grad
        del loss, g, leaf
    return time.perf_counter_ns() - t0


def count_top_level(model, x, t):
    """Top-level operations of one forward from PyTorch's autograd profiler: events without a parent, the count
    the kit's OpProfile takes from the same profiler (aten::linear once, not also its addmm)."""
    with torch.no_grad(), torch.autograd.profiler.profile() as prof:
        model(x, t)
    return sum(1 for e in prof.function_events if e.cpu_parent is None)


def timed(call, model, shape, t_value, threads, warmup, repeat, seed=7):
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(seed)
    nanos = []
    for r in range(-warmup, repeat):
        dt = once(call, model, shape, t_value, gen)
        if r >= 0:
            nanos.append(dt)
    nanos.sort()
    return statistics.median(nanos) / 1e6, nanos[0] / 1e6


def serve(model, single, t_value):
    """The kit's paired comparison (environment/kit bench --only torch) drives this process: each request line
    'forward|backward BATCH THREADS' is answered with the nanoseconds of one call; 'quit' ends it."""
    gen = torch.Generator().manual_seed(7)
    print("ready", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        call = "forward" if parts[0] == "forward" else "forward + backward to x_t"
        torch.set_num_threads(int(parts[2]))
        print(once(call, model, [int(parts[1])] + single, t_value, gen), flush=True)


def split_in_two(call, model, shape, t_value, warmup, repeat):
    """The batch of shape[0] images as two halves on two Python threads at one torch thread each (data parallelism
    instead of intra-op threads; torch releases the GIL inside its kernels): median and min milliseconds."""
    import threading
    torch.set_num_threads(1)
    gens = [torch.Generator().manual_seed(2), torch.Generator().manual_seed(3)]
    half = [shape[0] // 2] + list(shape[1:])
    nanos = []
    for r in range(-warmup, repeat):
        out = [0, 0]

        def work(i):
            out[i] = once(call, model, half, t_value, gens[i])

        t0 = time.perf_counter_ns()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if r >= 0:
            nanos.append(time.perf_counter_ns() - t0)
    nanos.sort()
    return statistics.median(nanos) / 1e6, nanos[0] / 1e6


def scaling(model, single, t_value, rows, batch, warmup, repeat):
    """--scaling: the split-batch rows, then per call the speed-up of every row over batch 1 at one thread (images
    per second against images per second), the bound of the kit's batch speed-up target for a network-bound solver."""
    extra = []
    for call in ("forward", "forward + backward to x_t"):
        med, mn = split_in_two(call, model, [batch] + single, t_value, warmup, repeat)
        extra.append({"call": call, "batch": batch, "threads": "2 x 1 (split)", "median ms": round(med, 3),
                      "min ms": round(mn, 3), "repeats": repeat, "aten ops": ""})
        print(f"{call:28s} batch {batch:3d} as two halves on two 1-thread Python threads: median {med:8.2f} ms")
    for call in ("forward", "forward + backward to x_t"):
        base = [r for r in rows if r["call"] == call and r["batch"] == 1 and r["threads"] == 1]
        if not base:
            print("--scaling needs batch 1 at 1 thread among --batch and --threads")
            break
        for r in rows + extra:
            if r["call"] == call and r["batch"] > 1:
                speedup = r["batch"] * base[0]["median ms"] / r["median ms"]
                print(f"speed-up {call:28s} batch {r['batch']:3d} threads {r['threads']}: {speedup:.2f}x over "
                      f"batch 1 at 1 thread")
    return extra


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("export_dir")
    ap.add_argument("--batch", default="1,16")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--kit", help="the kit's network CSV (environment/kit bench --only network) to compare with")
    ap.add_argument("--scaling", action="store_true", help="also time the largest batch split in two halves on two "
                    "single-threaded Python threads, and print each batch speed-up over batch 1 at one thread")
    ap.add_argument("--serve", action="store_true", help="answer timing requests on stdin (used by the kit's "
                    "paired comparison, environment/kit bench --only torch)")
    a = ap.parse_args()
    meta = json.load(open(os.path.join(a.export_dir, "params.json")))
    torch.manual_seed(0)
    model = UNet(meta["config"]).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    n = load(model, a.export_dir, meta)
    shape = meta["inputShape"]
    x = torch.from_numpy(np.fromfile(os.path.join(a.export_dir, "input.bin"), dtype="<f4").reshape(shape))
    want = np.fromfile(os.path.join(a.export_dir, "eps.bin"), dtype="<f4").reshape(shape)
    t = torch.full((shape[0],), float(meta["t"]))
    with torch.no_grad():
        got = model(x, t).numpy()
    err = float(np.max(np.abs(got - want)))
    print(f"torch {torch.__version__}: {n} parameters loaded; max |torch - kit| on the exported input = {err:.3g}")
    if not err <= 1e-5:
        raise SystemExit(f"the PyTorch rebuild disagrees with the kit by {err} (> 1e-5): not the same network")
    ops = count_ops(model, x[:1], t[:1])
    top = count_top_level(model, x[:1], t[:1])
    print(f"operations per forward (batch 1): {top} top-level in the profiler (as the kit's OpProfile counts), "
          f"{ops} aten calls at the dispatcher", flush=True)
    single = shape[1:]
    if a.serve:
        return serve(model, single, meta["t"])
    rows = []
    for call in ("forward", "forward + backward to x_t"):
        for b in [int(s) for s in a.batch.split(",")]:
            for th in [int(s) for s in a.threads.split(",")]:
                med, mn = timed(call, model, [b] + single, meta["t"], th, a.warmup, a.repeat)
                rows.append({"call": call, "batch": b, "threads": th, "median ms": round(med, 3),
                             "min ms": round(mn, 3), "repeats": a.repeat, "aten ops": ops if call == "forward" else ""})
                print(f"{call:28s} batch {b:3d} threads {th}: median {med:8.2f} ms  (min {mn:.2f})")
    if a.scaling:
        rows += scaling(model, single, meta["t"], rows, max(int(s) for s in a.batch.split(",")), a.warmup, a.repeat)
    out = os.path.join(a.export_dir, "torch-eager.csv")
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print("wrote", out)
    if a.kit:
        kit = {(r["call"], int(r["batch"]), int(r["threads"])): float(r["median ms"])
               for r in csv.DictReader(open(a.kit))}
        print(f"\n{'call':28s} {'batch':>5s} {'thr':>3s} {'kit ms':>8s} {'torch ms':>8s} {'ratio':>6s}")
        for r in rows:
            k = kit.get((r["call"], r["batch"], r["threads"]))
            if k is not None:
                print(f"{r['call']:28s} {r['batch']:5d} {r['threads']:3d} {k:8.2f} {r['median ms']:8.2f} "
                      f"{k / r['median ms']:6.2f}")


if __name__ == "__main__":
    sys.exit(main())
