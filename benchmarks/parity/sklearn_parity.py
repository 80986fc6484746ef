"""scikit-learn reference figures for the parity tests (tests/.../SklearnParityTests.cs).

Same data files and the same split as the C# tests: row i (0-based, file order) is a test row when
i % 5 == 0, else a training row (an 80/20 split); features standardised with the training rows' mean
and standard deviation (StandardScaler). Run with Debian's Python: apt-get install python3-sklearn, then
  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 benchmarks/parity/sklearn_parity.py
"""
import os, sys, time
import numpy as np
import warnings
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

here = os.path.dirname(os.path.abspath(__file__))
data_dir = os.path.join(here, '..', '..', 'examples', 'data')

def load(name, label_parser=float):
    rows = open(os.path.join(data_dir, name)).read().strip().split('\n')[1:]
    cells = [r.split(',') for r in rows]
    x = np.array([[float(v) for v in c[:-1]] for c in cells])
    y = np.array([label_parser(c[-1]) for c in cells])
    return x, y

def split(x, y):
    test = np.arange(len(y)) % 5 == 0
    scaler = StandardScaler().fit(x[~test])
    return scaler.transform(x[~test]), y[~test], scaler.transform(x[test]), y[test]

warnings.simplefilter('ignore', ConvergenceWarning)
import sklearn
print(f'scikit-learn {sklearn.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}')
for name, parser in [('digits.csv', float), ('breast-cancer.csv', lambda s: s == 'true')]:
    xtr, ytr, xte, yte = split(*load(name, parser))
    t = time.perf_counter()
    m = MLPClassifier(random_state=0, max_iter=500).fit(xtr, ytr)
    print(f'{name}: MLPClassifier(random_state=0, max_iter=500) test accuracy {m.score(xte, yte):.4f} '
          f'after {m.n_iter_} epochs, {time.perf_counter() - t:.2f} s')
x, y = load('diabetes.csv')
xtr, ytr, xte, yte = split(x, y)
for label, (a, b) in {'raw target': (0.0, 1.0), 'standardised target': (ytr.mean(), ytr.std())}.items():
    for iters in (200, 500):
        m = MLPRegressor(random_state=0, max_iter=iters).fit(xtr, (ytr - a) / b)
        pred = m.predict(xte) * b + a
        r2 = 1 - ((yte - pred) ** 2).sum() / ((yte - yte.mean()) ** 2).sum()
        print(f'diabetes.csv: MLPRegressor(random_state=0, max_iter={iters}) on the {label}: test R2 {r2:.4f} after {m.n_iter_} epochs')
