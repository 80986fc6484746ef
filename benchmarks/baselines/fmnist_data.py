"""Fashion-MNIST for the FMNIST-MLP baselines: the gzip'ed IDX files of Debian's dataset-fashion-mnist, read with
numpy (pixels / 255, float32), or seeded synthetic data of the same shape when the files are missing.

The IDX format: a big-endian header (magic 0x00000801 for labels, 0x00000803 for images; the item count; for
images the rows and columns), then one unsigned byte per label or pixel.
"""
import gzip
import os

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
FEATURES = 784
CLASSES = 10


def _open(path):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def _find(directory, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            return path
    return None


def _read_idx(path, magic):
    with _open(path) as f:
        data = f.read()
    found = int.from_bytes(data[0:4], "big")
    if found != magic:
        raise ValueError(f"{path}: IDX magic 0x{found:08X}, expected 0x{magic:08X}")
    count = int.from_bytes(data[4:8], "big")
    if magic == 0x00000803:
        rows, cols = int.from_bytes(data[8:12], "big"), int.from_bytes(data[12:16], "big")
        pixels = np.frombuffer(data, dtype=np.uint8, offset=16, count=count * rows * cols)
        return pixels.reshape(count, rows * cols).astype(np.float32) / np.float32(255)
    return np.frombuffer(data, dtype=np.uint8, offset=8, count=count).astype(np.int64)


def _synthetic(rows, seed):
    """Each class has a random prototype (fixed seed, shared by train and test); a row is it plus noise, clipped."""
    prototypes = np.random.default_rng(12345).random((CLASSES, FEATURES), dtype=np.float32)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, rows)
    x = np.clip(prototypes[y] + (rng.random((rows, FEATURES), dtype=np.float32) - 0.5) * 1.5, 0, 1).astype(np.float32)
    return x, y.astype(np.int64)


def load(directory=DEFAULT_DIR):
    """Returns (x_train, y_train, x_test, y_test, source, is_synthetic); x float32 in [0, 1], y int64 classes 0-9."""
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    paths = [_find(directory, n) for n in names]
    if any(p is None for p in paths):
        x_train, y_train = _synthetic(60_000, 1)
        x_test, y_test = _synthetic(10_000, 2)
        source = (f"SYNTHETIC (Fashion-MNIST not found in {directory}; install Debian's dataset-fashion-mnist): "
                  "seeded random data of the same shape")
        return x_train, y_train, x_test, y_test, source, True
    x_train, y_train = _read_idx(paths[0], 0x00000803), _read_idx(paths[1], 0x00000801)
    x_test, y_test = _read_idx(paths[2], 0x00000803), _read_idx(paths[3], 0x00000801)
    for x, y in ((x_train, y_train), (x_test, y_test)):
        if x.shape[1] != FEATURES or len(x) != len(y) or y.max() >= CLASSES:
            raise ValueError(f"the files in {directory} are not {FEATURES}-pixel images with labels 0-{CLASSES - 1}")
    return x_train, y_train, x_test, y_test, f"Fashion-MNIST, {directory}", False


def flop_per_epoch(rows, sizes=(784, 256, 128, 10)):
    """6·N·Σ(in·out): per row and layer the forward A·Wᵀ and the backward Δ·W and Δᵀ·A, 2·in·out FLOP each."""
    return 6.0 * rows * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def peak_rss_mib():
    """The process's peak resident set (Linux: ru_maxrss is in KiB)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def blas_report():
    """The BLAS libraries mapped into this process (Linux), and a warning when only the reference BLAS is there.

    Debian's numpy and python3-torch (BLAS_INFO=generic) call libblas.so.3, which the alternatives system points
    at the reference implementation unless an optimised one (libopenblas0-pthread, libblis4) is installed; the
    reference BLAS is tens of times slower and would make the baseline meaningless.
    """
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if line.rstrip().endswith(".so") or ".so." in line})
    except OSError:
        return "unknown (no /proc/self/maps)", None
    blas = [p for p in paths if any(k in os.path.basename(p).lower() for k in ("blas", "blis", "mkl"))
            and "-packages/" not in p]  # not the Python wrapper modules of scipy and scikit-learn
    resolved = sorted({os.path.realpath(p) for p in blas})
    optimised = [p for p in resolved if any(k in p.lower() for k in ("openblas", "blis", "mkl"))]
    warning = None
    if not optimised:
        warning = ("WARNING: only the REFERENCE BLAS is loaded (" + ", ".join(resolved or ["none found"]) + "): "
                   "timings are not representative. Install an optimised BLAS first: apt-get install libopenblas0-pthread")
    return ", ".join(resolved) or "none found", warning


def print_table(title, rows):
    """A two-column plain-text table like the .NET benchmark's."""
    width = max(len(title), *(len(name) for name, _ in rows))
    print(f"{title.ljust(width)} | value")
    print("-" * width + "-+-" + "-" * 40)
    for name, value in rows:
        print(f"{name.ljust(width)} | {value}")
    print()


def load_and_report(directory):
    """Prints the BLAS in use and where the data came from; returns what load() returns."""
    blas_libraries, blas_warning = blas_report()
    print(f"BLAS loaded: {blas_libraries}")
    if blas_warning:
        print(blas_warning)
    data = load(directory)
    x_train, _, x_test, _, source, synthetic = data
    print(f"Data: {source}: {len(x_train):,} training rows, {len(x_test):,} test rows")
    if synthetic:
        print("WARNING: SYNTHETIC DATA. Timings have the real shape; the accuracy is not Fashion-MNIST's.")
    return data
