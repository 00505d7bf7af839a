"""scikit-learn side of bench/models-segmentation-clv.bench.ts: fits KMeans / MiniBatchKMeans on
a raw float64 matrix written by the bench and prints the fit times and inertias as JSON.

    OMP_NUM_THREADS=1 /usr/bin/python3 kmeans_sklearn.py MATRIX.f64 ROWS COLS K MODE REPEATS

MODE: full (KMeans, lloyd, n_init=1), full10 (n_init=10), minibatch (MiniBatchKMeans,
batch_size=1024, n_init=3). random_state=0 throughout; timing covers .fit() only.
"""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans, MiniBatchKMeans

path, rows, cols, k, mode, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
X = np.fromfile(path, dtype=np.float64).reshape(rows, cols)
runs = []
for _ in range(repeats):
    if mode == "minibatch":
        model = MiniBatchKMeans(n_clusters=k, batch_size=1024, n_init=3, random_state=0)
    else:
        model = KMeans(n_clusters=k, n_init=10 if mode == "full10" else 1, random_state=0, algorithm="lloyd")
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(X)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    # MiniBatchKMeans counts epochs in n_iter_; its batches are n_steps_.
    steps = int(getattr(model, "n_steps_", model.n_iter_))
    runs.append({"seconds": seconds, "cpu_seconds": cpu, "inertia": float(model.inertia_), "n_iter": steps})
print(json.dumps({"sklearn": sklearn.__version__, "runs": runs}))
