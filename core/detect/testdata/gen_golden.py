#!/usr/bin/python3
"""Golden values for core/detect: Ledoit-Wolf and OAS shrinkage and Mahalanobis distances
(scikit-learn 1.2 on standardised data, as the mahalanobis model standardises first) and
the gamma MLE threshold (scipy.stats.gamma.fit with floc=0). Run with Debian's
/usr/bin/python3 (python3-sklearn, python3-scipy) to regenerate golden.json."""
import json
import numpy as np
import scipy.stats
import sklearn
from sklearn.covariance import LedoitWolf, OAS

rng = np.random.default_rng(7)
cases = []
for name, n, d in [("n40d5", 40, 5), ("n25d16", 25, 16), ("n12d30", 12, 30)]:
    A = rng.normal(size=(d, d))
    X = rng.normal(size=(n, d)) @ A + rng.normal(size=d) * 3
    Q = rng.normal(size=(6, d)) @ A * 1.5
    mu, sd = X.mean(0), X.std(0)
    Z, ZQ = (X - mu) / sd, (Q - mu) / sd
    case = {"name": name, "X": X.tolist(), "Q": Q.tolist()}
    for est, key in [(LedoitWolf(), "ledoit-wolf"), (OAS(), "oas")]:
        est.fit(Z)
        case[key] = {"shrinkage": float(est.shrinkage_),
                     "distance": np.sqrt(est.mahalanobis(ZQ)).tolist()}
    cases.append(case)

gam = []
for shape, scale, n in [(2.5, 1.3, 200), (9.0, 0.4, 50), (0.8, 3.0, 30)]:
    s = rng.gamma(shape, scale, size=n)
    a, loc, sc = scipy.stats.gamma.fit(s, floc=0)
    gam.append({"scores": s.tolist(), "shape": a, "scale": sc,
                "q99": float(scipy.stats.gamma.ppf(0.99, a, loc=0, scale=sc))})

json.dump({"sklearn": sklearn.__version__, "scipy": scipy.__version__,
           "covariance": cases, "gamma": gam}, open("golden.json", "w"), indent=1)
