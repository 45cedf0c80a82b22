#!/usr/bin/env python3
"""scikit-learn side-by-side for core/diagnose on the same CWRU features and splits.

    go test ./core/diagnose -run ExportCSV -csv /tmp/diag
    /usr/bin/python3 core/diagnose/testdata/sklearn_compare.py /tmp/diag

Trains RandomForestClassifier (100 trees, max_features="sqrt", bootstrap, gini, n_jobs=2 —
the Go forest's settings) and SVC(kernel="rbf", C=10, gamma="scale", probability=True) on
standardised features (the Go SVM's settings; SVC is one-vs-one with pairwise coupling, the
Go SVM one-vs-rest with Platt per class), plus their soft vote, on each fold; prints accuracy
(argmax, no unknown rule) on the fold's test set and the speed-shifted sets, and fit time
(median of 5 fits).
"""
import csv
import glob
import os
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def load(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    X = np.array([[float(v) for v in r[:-2]] for r in rows[1:]])
    y = np.array([r[-2] for r in rows[1:]])
    return X, y


def timed_fit(make, X, y, reps=5):
    times = []
    for _ in range(reps):
        m = make()
        t = time.perf_counter()
        m.fit(X, y)
        times.append(time.perf_counter() - t)
    return m, sorted(times)[len(times) // 2]


def main(d):
    models = {
        "rf": lambda: RandomForestClassifier(n_estimators=100, max_features="sqrt", n_jobs=2, random_state=11),
        "svm": lambda: make_pipeline(StandardScaler(), SVC(kernel="rbf", C=10, gamma="scale", probability=True, random_state=11)),
    }
    summary = {k: {"acc": [], "f1": [], "shift": [], "fit": []} for k in ["rf", "svm", "rf+svm"]}
    folds = sorted({os.path.basename(p).split("_")[0] for p in glob.glob(os.path.join(d, "fold*_train.csv"))})
    for fold in folds:
        Xtr, ytr = load(os.path.join(d, f"{fold}_train.csv"))
        tests = {"test": load(os.path.join(d, f"{fold}_test.csv"))}
        for p in sorted(glob.glob(os.path.join(d, f"{fold}_test_speed*.csv"))):
            tests[os.path.basename(p)[len(fold) + 1:-4]] = load(p)
        fitted = {}
        for name, make in models.items():
            fitted[name], t = timed_fit(make, Xtr, ytr)
            summary[name]["fit"].append(t)
        summary["rf+svm"]["fit"].append(summary["rf"]["fit"][-1] + summary["svm"]["fit"][-1])
        for name in ["rf", "svm", "rf+svm"]:
            line = f"{fold} {name:6s}"
            for tname, (X, y) in tests.items():
                if name == "rf+svm":
                    p = (fitted["rf"].predict_proba(X) + fitted["svm"].predict_proba(X)) / 2
                    pred = fitted["rf"].classes_[p.argmax(axis=1)]
                else:
                    pred = fitted[name].predict_proba(X).argmax(axis=1)
                    pred = fitted[name].classes_[pred]
                acc = accuracy_score(y, pred)
                if tname == "test":
                    summary[name]["acc"].append(acc)
                    summary[name]["f1"].append(f1_score(y, pred, average="macro"))
                else:
                    summary[name]["shift"].append(acc)
                line += f"  {tname} {acc:.3f}"
            line += f"  fit {summary[name]['fit'][-1] * 1000:.1f} ms"
            print(line)
    print()
    for name, s in summary.items():
        print(f"SUMMARY {name:6s} accuracy {np.mean(s['acc']):.3f} macro-F1 {np.mean(s['f1']):.3f} "
              f"speed-shifted {np.mean(s['shift']):.3f} fit {np.mean(s['fit']) * 1000:.1f} ms (mean over folds)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/diag")
