"""Rank and correlation scores of neurons against state features, over all positions or within groups."""

from __future__ import annotations

import numpy as np

TINY = 1e-18  # a sum of squares below this share of the raw one is rounding noise: the column is constant


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks down each column of x (T, K), ties given their average rank: (T, K)."""
    T = x.shape[0]
    order = np.argsort(x, axis=0, kind="stable")  # (T, K)
    xs = np.take_along_axis(x, order, axis=0)
    starts = np.ones(xs.shape, dtype=bool)
    starts[1:] = xs[1:] != xs[:-1]  # a run of equal values starts here
    ends = np.ones(xs.shape, dtype=bool)
    ends[:-1] = starts[1:]
    at = np.arange(T)[:, None]
    first = np.maximum.accumulate(np.where(starts, at, 0), axis=0)  # (T, K) first index of each run
    last = np.minimum.accumulate(np.where(ends, at, T)[::-1], axis=0)[::-1]  # (T, K) its last index
    out = np.empty(x.shape)
    np.put_along_axis(out, order, (first + last) / 2.0 + 1.0, axis=0)
    return out


def one_hot(groups: np.ndarray | None, T: int) -> np.ndarray:
    """(T, G) float membership of each position in each group; one group when groups is None."""
    if groups is None:
        return np.ones((T, 1))
    return (groups[:, None] == np.unique(groups)[None, :]).astype(float)


def center(x: np.ndarray, member: np.ndarray) -> np.ndarray:
    """x (T, K) less the mean of its group at each position (member (T, G) from one_hot): (T, K)."""
    means = (member.T @ x) / member.sum(axis=0)[:, None]  # (G, K)
    return x - member @ means


def auc(x: np.ndarray, F: np.ndarray, groups: np.ndarray | None = None, ranks: np.ndarray | None = None) -> np.ndarray:
    """Area under the ROC curve of each neuron x (T, H) for each 0/1 feature F (T, K), counting only the
    (positive, negative) pairs inside one group: (K, H), NaN where there is no such pair. `ranks` may
    hold average_ranks(x)."""
    member = one_hot(groups, len(x))
    R = average_ranks(x) if ranks is None else ranks
    if groups is not None:  # rank by group, then by value: each group's ranks follow the earlier groups'
        offset = np.cumsum(member.sum(axis=0)) - member.sum(axis=0)  # (G,) positions in earlier groups
        R = (
            average_ranks(R + (len(x) + 1) * (member @ np.arange(member.shape[1]))[:, None])
            - (member @ offset)[:, None]
        )  # (T, H) ranks within each group
    pos = member.T @ F  # (G, K) positives per group
    n = member.sum(axis=0)[:, None]  # (G, 1)
    U = F.T @ R - (pos * (pos + 1) / 2).sum(axis=0)[:, None]  # (K, H) Mann-Whitney U, pairs within groups
    pairs = (pos * (n - pos)).sum(axis=0)[:, None]  # (K, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, U / pairs, np.nan)


def corr(x: np.ndarray, F: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Pearson's r of each neuron x (T, H) with each feature F (T, K), each less its group's mean: (K, H),
    NaN where either is constant within the groups. Spearman's is this on average_ranks of both."""
    member = one_hot(groups, len(x))
    xc, fc = center(x, member), center(F, member)
    sx = (xc**2).sum(axis=0)  # (H,)
    sf = (fc**2).sum(axis=0)  # (K,)
    ok = np.outer(sf > TINY * (F**2).sum(axis=0), sx > TINY * (x**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, (fc.T @ xc) / np.sqrt(np.outer(sf, sx)), np.nan)


def explained(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The share of each column's variance (T, K) that its group means explain, eta squared: (K,); 1 when
    a column is constant."""
    total = ((x - x.mean(axis=0)) ** 2).sum(axis=0)
    within = (center(x, one_hot(groups, len(x))) ** 2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > TINY * (x**2).sum(axis=0), 1.0 - within / total, 1.0)


def group_means(F: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each position's group mean of each column of F (T, K): the best guess from the group alone, (T, K)."""
    member = one_hot(groups, len(F))
    return member @ ((member.T @ F) / member.sum(axis=0)[:, None])
