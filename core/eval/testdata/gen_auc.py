#!/usr/bin/python3
"""Golden AUC / pAUC values from scikit-learn's roc_auc_score (max_fpr=0.1 and 0.3,
McClish-standardised), including tied scores. Regenerate auc_golden.json with Debian's
/usr/bin/python3 (python3-sklearn)."""
import json
import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score

rng = np.random.default_rng(3)
cases = []
def add(name, y, s):
    y = np.asarray(y, bool); s = np.asarray(s, float)
    cases.append({"name": name, "labels": y.tolist(), "scores": s.tolist(),
                  "auc": roc_auc_score(y, s),
                  "pauc10": roc_auc_score(y, s, max_fpr=0.1),
                  "pauc30": roc_auc_score(y, s, max_fpr=0.3)})
add("perfect", [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
add("inverted", [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])
add("all-tied", [0, 1, 0, 1, 1], [1, 1, 1, 1, 1])
add("small-ties", [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.4, 0.4])
for i, (n0, n1, shift, q) in enumerate([(25, 50, 0.8, 0), (100, 30, 0.3, 0), (40, 40, 1.0, 1), (200, 10, 0.5, 2), (13, 7, 0.2, 1)]):
    s0 = rng.normal(size=n0); s1 = rng.normal(size=n1) + shift
    s = np.concatenate([s0, s1])
    if q: s = np.round(s * (4 if q == 1 else 2)) / 4  # heavy ties
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    p = rng.permutation(len(s))
    add("random%d" % i, y[p], s[p])
json.dump({"sklearn": sklearn.__version__, "cases": cases}, open("auc_golden.json", "w"), indent=1)
