#!/usr/bin/python3
"""PyTorch CPU reference of FMNIST-MLP, the workload of benchmarks/Backprop.MLNet.Benchmarks (`fmnist`).

Fashion-MNIST (60,000 x 784 training rows, 10,000 test rows, pixels / 255), network 784-256-128-10 with ReLU,
softmax + cross-entropy, Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8), batch 128, shuffled every epoch, no weight
decay, float32, 5 epochs, torch.set_num_threads(2). Weights and biases start Glorot-uniform as in scikit-learn and
Backprop.MLNet. Prints seconds/epoch (median, min-max), GFLOP/s, test accuracy, batch inference rows/s on the
10,000 test rows (best of 3) and the median single-row latency.

Run (Debian's Python, python3-torch):
    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 benchmarks/baselines/pytorch_fmnist.py [--epochs 5] [--threads 2]
"""
import argparse
import math
import os
import platform
import statistics
import time

import numpy as np
import torch
from torch import nn

import fmnist_data


def glorot_(linear):
    bound = math.sqrt(6.0 / (linear.in_features + linear.out_features))
    nn.init.uniform_(linear.weight, -bound, bound)
    nn.init.uniform_(linear.bias, -bound, bound)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--latency-calls", type=int, default=20_000)
    parser.add_argument("--data", default=fmnist_data.DEFAULT_DIR)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}, os.cpu_count() {os.cpu_count()}, "
          f"torch threads {torch.get_num_threads()}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")

    x_train, y_train, x_test, y_test, source, synthetic = fmnist_data.load_and_report(args.data)
    print(f"== PyTorch FMNIST-MLP: 784-256-128-10 ReLU, Adam 1e-3, batch {args.batch_size}, shuffled, "
          f"{args.epochs} epochs, {args.threads} threads ==")
    x_train, y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
    x_test, y_test = torch.from_numpy(x_test), torch.from_numpy(y_test)

    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    for layer in model:
        if isinstance(layer, nn.Linear):
            glorot_(layer)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    loss_fn = nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits
    generator = torch.Generator().manual_seed(0)

    n = len(x_train)
    epoch_seconds, losses = [], []
    model.train()
    for _ in range(args.epochs):
        start = time.perf_counter()
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for first in range(0, n, args.batch_size):
            rows = order[first:first + args.batch_size]
            xb, yb = x_train[rows], y_train[rows]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        epoch_seconds.append(time.perf_counter() - start)
        losses.append(total / n)

    model.eval()
    with torch.inference_mode():
        accuracy = (model(x_test).argmax(dim=1) == y_test).double().mean().item()

        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            probabilities = torch.softmax(model(x_test), dim=1)
            predicted = probabilities.argmax(dim=1)
            best = min(best, time.perf_counter() - start)
        assert len(predicted) == len(x_test)

        rows = [x_test[i:i + 1] for i in range(len(x_test))]
        for i in range(1_000):
            torch.softmax(model(rows[i % len(rows)]), dim=1).argmax().item()
        latencies = []
        for i in range(args.latency_calls):
            row = rows[i % len(rows)]
            start = time.perf_counter()
            torch.softmax(model(row), dim=1).argmax().item()
            latencies.append((time.perf_counter() - start) * 1e6)

    median = statistics.median(epoch_seconds)
    flop = fmnist_data.flop_per_epoch(n)
    fmnist_data.print_table("PyTorch FMNIST-MLP" + (" (SYNTHETIC DATA)" if synthetic else ""), [
        ("Epochs run", f"{len(epoch_seconds)}"),
        ("Seconds/epoch, median", f"{median:.3f}"),
        ("Seconds/epoch, min - max", f"{min(epoch_seconds):.3f} - {max(epoch_seconds):.3f}"),
        ("Seconds per epoch, in order", " ".join(f"{s:.3f}" for s in epoch_seconds)),
        ("FLOP/epoch = 6*N*sum(in*out)", f"{flop:.3e} (PyTorch skips the layer-1 input gradient too)"),
        ("GFLOP/s (median epoch)", f"{flop / median / 1e9:.1f}"),
        ("Final training loss", f"{losses[-1]:.4f}"),
        ("Test accuracy", f"{accuracy:.4f}"),
        ("Batch inference rows/s (best of 3)", f"{len(x_test) / best:,.0f}  ({best * 1e3:.1f} ms for {len(x_test):,} rows)"),
        ("Single-row latency, median", f"{statistics.median(latencies):.2f} us  ({len(latencies):,} calls)"),
        ("Peak RSS", f"{fmnist_data.peak_rss_mib():.1f} MiB"),
    ])


if __name__ == "__main__":
    main()
