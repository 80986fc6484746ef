#!/usr/bin/python3
"""scikit-learn reference of FMNIST-MLP, the workload of benchmarks/Backprop.MLNet.Benchmarks (`fmnist`).

MLPClassifier(hidden_layer_sizes=(256, 128), batch_size=128, max_iter=5, alpha=0, learning_rate_init=1e-3,
shuffle=True, random_state=--seed, tol=0): ReLU, Adam (0.9/0.999/1e-8), softmax + cross-entropy, float32 input (kept as
float32 by scikit-learn >= 1.0). One fit() of all epochs, timed per epoch at scikit-learn's once-per-epoch call to
_update_no_improvement_count (partial_fit would re-seed the shuffling every call, so every epoch would see the same
order; a warm_start loop of fit(max_iter=1) would restart Adam every epoch). BLAS threads are limited with
threadpoolctl (default 2). Prints seconds/epoch (median, min-max), GFLOP/s, test accuracy, batch inference rows/s
on the 10,000 test rows (best of 3) and the median single-row predict_proba latency.

Run (Debian's Python, python3-sklearn):
    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 benchmarks/baselines/sklearn_fmnist.py [--epochs 5] [--threads 2]
"""
import argparse
import math
import os
import platform
import statistics
import time
import warnings

import numpy as np
import sklearn
from sklearn.neural_network import MLPClassifier

import fmnist_data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="random_state (weight initialisation and shuffling)")
    parser.add_argument("--latency-calls", type=int, default=20_000)
    parser.add_argument("--data", default=fmnist_data.DEFAULT_DIR)
    args = parser.parse_args()

    try:
        from threadpoolctl import threadpool_info, threadpool_limits
        limiter = threadpool_limits(limits=args.threads)
        blas = ", ".join(f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads, "
                         f"{p.get('architecture')})" for p in threadpool_info())
    except ImportError:
        limiter, blas = None, "threadpoolctl missing: BLAS threads not limited"
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
          f"os.cpu_count() {os.cpu_count()}, BLAS: {blas}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")

    x_train, y_train, x_test, y_test, source, synthetic = fmnist_data.load_and_report(args.data)
    print(f"== scikit-learn FMNIST-MLP: 784-256-128-10 ReLU, Adam 1e-3, batch 128, shuffled, "
          f"{args.epochs} epochs, {args.threads} BLAS threads ==")

    clf = MLPClassifier(hidden_layer_sizes=(256, 128), activation="relu", solver="adam", alpha=0, batch_size=128,
                        learning_rate_init=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8, max_iter=args.epochs,
                        shuffle=True, random_state=args.seed, tol=0)
    # Timestamp each epoch's end: fit() calls _update_no_improvement_count once per epoch, after its minibatches.
    stamps = [time.perf_counter()]
    end_of_epoch = clf._update_no_improvement_count

    def stamped(*args_, **kwargs_):
        stamps.append(time.perf_counter())
        return end_of_epoch(*args_, **kwargs_)

    clf._update_no_improvement_count = stamped
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(x_train, y_train)
    epoch_seconds = list(np.diff(stamps))
    assert len(epoch_seconds) == args.epochs, epoch_seconds

    accuracy = float((clf.predict(x_test) == y_test).mean())

    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        probabilities = clf.predict_proba(x_test)
        predicted = probabilities.argmax(axis=1)
        best = min(best, time.perf_counter() - start)
    assert len(predicted) == len(x_test)

    rows = [x_test[i:i + 1] for i in range(len(x_test))]
    for i in range(1_000):
        clf.predict_proba(rows[i % len(rows)]).argmax()
    latencies = []
    for i in range(args.latency_calls):
        row = rows[i % len(rows)]
        start = time.perf_counter()
        clf.predict_proba(row).argmax()
        latencies.append((time.perf_counter() - start) * 1e6)

    median = statistics.median(epoch_seconds)
    flop = fmnist_data.flop_per_epoch(len(x_train))
    fmnist_data.print_table("scikit-learn FMNIST-MLP" + (" (SYNTHETIC DATA)" if synthetic else ""), [
        ("Epochs run", f"{clf.n_iter_}"),
        ("Seconds/epoch, median", f"{median:.3f}"),
        ("Seconds/epoch, min - max", f"{min(epoch_seconds):.3f} - {max(epoch_seconds):.3f}"),
        ("Seconds per epoch, in order", " ".join(f"{s:.3f}" for s in epoch_seconds)),
        ("FLOP/epoch = 6*N*sum(in*out)", f"{flop:.3e} (scikit-learn skips the layer-1 input gradient too)"),
        ("GFLOP/s (median epoch)", f"{flop / median / 1e9:.1f}"),
        ("Weights dtype", f"{clf.coefs_[0].dtype}"),
        ("Final training loss", f"{clf.loss_:.4f}"),
        ("Test accuracy", f"{accuracy:.4f}"),
        ("Batch inference rows/s (best of 3)", f"{len(x_test) / best:,.0f}  ({best * 1e3:.1f} ms for {len(x_test):,} rows)"),
        ("Single-row predict_proba latency, median", f"{statistics.median(latencies):.2f} us  ({len(latencies):,} calls)"),
        ("Peak RSS", f"{fmnist_data.peak_rss_mib():.1f} MiB"),
    ])
    del limiter


if __name__ == "__main__":
    main()
