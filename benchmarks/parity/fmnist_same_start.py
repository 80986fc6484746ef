"""scikit-learn's side of the same-start comparison (benchmarks/README.md, "Same start, same order").

Trains MLPClassifier (784-256-128-10, ReLU, Adam 1e-3, batch 128, no L2, shuffle off) on Fashion-MNIST for 5
epochs and writes, into the folder given (default /tmp/fmnist-same-start): its initial weights and biases (float32,
weights row-major [outputs x inputs], as Backprop.MLNet stores them) and the data as raw float32, for
`dotnet run -c Release --project benchmarks/Backprop.MLNet.Benchmarks -- samestart`.
The initial weights are read after one epoch at learning rate 1e-30, which leaves float32 weights unchanged.
Run with Debian's Python: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 benchmarks/parity/fmnist_same_start.py
"""
import os, sys, warnings
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'baselines'))
import fmnist_data
from sklearn.neural_network import MLPClassifier

out = sys.argv[1] if len(sys.argv) > 1 else '/tmp/fmnist-same-start'
os.makedirs(out, exist_ok=True)
warnings.simplefilter('ignore')
xtr, ytr, xte, yte, source, synthetic = fmnist_data.load()
print(f'Data: {source}')
clf = MLPClassifier(hidden_layer_sizes=(256, 128), alpha=0, batch_size=128, shuffle=False, random_state=0, tol=0,
                    learning_rate_init=1e-30)
clf.partial_fit(xtr, ytr, classes=np.arange(10))
for layer, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
    np.ascontiguousarray(w.T, dtype=np.float32).tofile(os.path.join(out, f'w{layer}.bin'))
    b.astype(np.float32).tofile(os.path.join(out, f'b{layer}.bin'))
for name, array in (('xtr', xtr), ('ytr', ytr), ('xte', xte), ('yte', yte)):
    array.astype(np.float32).tofile(os.path.join(out, f'{name}.bin'))

del clf._optimizer                # a fresh Adam from the initial weights
clf.learning_rate_init = 1e-3
clf.loss_curve_ = []
for epoch in range(5):
    clf.partial_fit(xtr, ytr)
    print(f'scikit-learn epoch {epoch + 1}: training loss {clf.loss_curve_[-1]:.4f}, test accuracy {(clf.predict(xte) == yte).mean():.4f}')
print(f'wrote the initial weights and the data to {out}')
