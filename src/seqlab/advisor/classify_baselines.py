"""Classical classifiers of a ``classify`` task, from maintained libraries, on the very
splits the networks use (one split per seed: the task draws its split from the seed).

Each sequence is the task's normalised (T, D) array, zero-padded to the longest length T
(the networks see the same padding). Candidates, each skipped with a note when its library
is missing (``pip install seqlab[classic]`` brings them):

    majority        the training labels' most common class              (no library)
    1nn-euclidean   1-nearest neighbour, Euclidean distance over the whole sequence
                    (scikit-learn ``KNeighborsClassifier``)
    ridge           a linear model on the whole flattened sequence, ridge penalty chosen
                    by leave-one-out on the training split (scikit-learn ``RidgeClassifierCV``)
    1nn-dtw         1-nearest neighbour, dynamic time warping with a 10 % Sakoe-Chiba band
                    (aeon ``KNeighborsTimeSeriesClassifier``); skipped when
                    N_train · N_eval · T² > DTW_LIMIT (the cost of the distances)
    minirocket      MiniRocket features + ridge (aeon ``MiniRocketClassifier``)

Fitted on the training split, scored (accuracy) on validation and test.

Time: given ``seconds`` (the classical baselines' share of the budget), a costly method
(1nn-dtw, minirocket) is first timed on a PROBE-sized subset (after one untimed call,
which pays any compilation) and its full cost extrapolated — DTW's distances grow as
N_train · N_eval, MiniRocket's transform as N_train + N_eval; when that estimate does not
fit in what is left of ``seconds``, it is skipped with a note naming the estimate.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

DTW_LIMIT = 2e10
COSTLY = ("1nn-dtw", "minirocket")
PROBE = 8  # training and evaluation series of the timing probe
METHODS = ("majority", "1nn-euclidean", "ridge", "1nn-dtw", "minirocket")


@dataclass
class Scored:
    name: str
    valid: float
    test: float
    seconds: float
    detail: str


def _make(name: str, n_train: int, n_eval: int, T: int, seed: int):
    """The classifier for ``name`` and its description; None when its library is missing
    or it is too costly (then the second item says why)."""
    if name == "1nn-euclidean":
        try:
            from sklearn.neighbors import KNeighborsClassifier
        except ImportError:
            return None, "scikit-learn not installed"
        return KNeighborsClassifier(n_neighbors=1), "scikit-learn KNeighborsClassifier(1)"
    if name == "ridge":
        try:
            from sklearn.linear_model import RidgeClassifierCV
        except ImportError:
            return None, "scikit-learn not installed"
        alphas = np.logspace(-3, 3, 10)
        return RidgeClassifierCV(alphas=alphas), "scikit-learn RidgeClassifierCV, whole sequence"
    if name == "1nn-dtw":
        try:
            from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
        except ImportError:
            return None, "aeon not installed"
        cost = float(n_train) * n_eval * T * T
        if cost > DTW_LIMIT:
            return None, f"skipped: N_train·N_eval·T² = {cost:.2g} > {DTW_LIMIT:.0e}"
        clf = KNeighborsTimeSeriesClassifier(
            n_neighbors=1, distance="dtw", distance_params={"window": 0.1}
        )
        return clf, "aeon KNeighborsTimeSeriesClassifier(dtw, window 0.1)"
    if name == "minirocket":
        try:
            from aeon.classification.convolution_based import MiniRocketClassifier
        except ImportError:
            return None, "aeon not installed"
        return MiniRocketClassifier(random_state=seed), "aeon MiniRocketClassifier"
    raise ValueError(name)


def classify_scores(
    x: np.ndarray,
    labels: np.ndarray,
    split: dict[str, np.ndarray],
    seed: int,
    only: tuple[str, ...] | None = None,
    seconds: float = float("inf"),
) -> tuple[list[Scored], list[str]]:
    """Scores of every method of the module docstring (or of ``only``) on one split, and
    notes on the ones left out. ``x`` (N, T, D) float, ``labels`` (N,) int, ``split``
    indices per split; ``seconds`` the time they may take (module docstring)."""
    t_start = time.perf_counter()
    tr, va, te = split["train"], split["valid"], split["test"]
    out: list[Scored] = []
    notes: list[str] = []
    majority = int(np.bincount(labels[tr]).argmax())
    out.append(
        Scored(
            "majority",
            float(np.mean(labels[va] == majority)),
            float(np.mean(labels[te] == majority)),
            0.0,
            "the training labels' most common class",
        )
    )
    N, T, D = x.shape
    flat = x.reshape(N, T * D)
    panel = np.ascontiguousarray(np.transpose(x, (0, 2, 1)), dtype=np.float64)  # (N, D, T)
    for name in METHODS[1:]:
        if only is not None and name not in only:
            continue
        clf, detail = _make(name, len(tr), len(va) + len(te), T, seed)
        if clf is None:
            notes.append(f"{name}: {detail}")
            continue
        data = panel if name in COSTLY else flat
        if name in COSTLY and seconds != float("inf"):
            left = seconds - (time.perf_counter() - t_start)
            est = _estimate(name, clf, data, labels, tr, np.concatenate([va, te]))
            if est > left:
                notes.append(
                    f"{name}: skipped: about {est:.0f} s estimated (timed on {PROBE} series), "
                    f"{max(left, 0):.0f} s left of the classical baselines' share of the "
                    "budget; a larger --budget-minutes scores it"
                )
                continue
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(data[tr], labels[tr])
                acc = [float(np.mean(clf.predict(data[s]) == labels[s])) for s in (va, te)]
        except (ValueError, RuntimeError, MemoryError) as e:
            notes.append(f"{name}: failed ({e})")
            continue
        out.append(Scored(name, acc[0], acc[1], time.perf_counter() - t0, detail))
    return out, notes


def _estimate(name: str, clf, data: np.ndarray, labels: np.ndarray, tr: np.ndarray,
              ev: np.ndarray) -> float:  # fmt: skip
    """Seconds ``clf`` would take to fit on ``tr`` and predict ``ev``, extrapolated from a
    probe of PROBE training series (every class kept when possible) and PROBE evaluation
    series, timed after one untimed call (module docstring)."""
    from sklearn.base import clone

    classes = np.unique(labels[tr])
    pick = [tr[labels[tr] == c][0] for c in classes][:PROBE]
    pick += [i for i in tr if i not in pick][: max(0, PROBE - len(pick))]
    a, b = np.asarray(pick), ev[:PROBE]
    times = []
    for _ in range(2):
        probe = clone(clf)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                probe.fit(data[a], labels[a])
                probe.predict(data[b])
            except (ValueError, RuntimeError):
                return 0.0  # the full fit will say what is wrong
        times.append(time.perf_counter() - t0)
    if name == "1nn-dtw":
        return times[1] * (len(tr) * len(ev)) / (len(a) * len(b))
    return times[1] * (len(tr) + len(ev)) / (len(a) + len(b))


__all__ = ["DTW_LIMIT", "METHODS", "Scored", "classify_scores"]
