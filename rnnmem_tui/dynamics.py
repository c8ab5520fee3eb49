"""Fixed and slow points of each input symbol's map, their stability, and the plane and flow of a phase portrait."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells import cell_of
from .model import NONE, RNN, Interventions
from .probe import teacher_stream
from .tasks import Task

SLOW = 1e-3  # a point moving less than this per step (speed ||F(h) - h||) is reported: a slow point
FIXED = 1e-8  # ... and a fixed point when it moves less than this
DEDUP = 1e-3  # two points closer than this in every neuron are one
VISITED, RANDOM = 1000, 200  # starts per symbol: hidden states of a teacher-forced run, and uniform ones in [-1, 1]^H
ITERATIONS = 100  # Levenberg-Marquardt steps at most
HOPELESS = (20, 0.05)  # a start still this fast after this many steps is dropped: no slow point is near


@dataclass(frozen=True)
class Point:
    """A fixed or slow point of the map of one input symbol."""

    symbol: str
    point: np.ndarray  # (H,) the hidden state, held neurons at their held values
    speed: float  # ||F(h) - h||
    eigenvalues: np.ndarray  # moduli of the Jacobian's eigenvalues over the free neurons, largest first

    @property
    def stable(self) -> bool:
        """Every eigenvalue inside the unit circle: nearby states fall in."""
        return bool(self.eigenvalues.size == 0 or self.eigenvalues[0] < 1)

    @property
    def kind(self) -> str:
        """stable, saddle (some directions in, some out) or unstable (every direction out)."""
        return "stable" if self.stable else "unstable" if self.eigenvalues[-1] > 1 else "saddle"

    def as_json(self) -> dict:
        """One object of `rnnmem-tui fixed-points --json`."""
        return {
            "symbol": self.symbol,
            "point": [round(float(v), 6) for v in self.point],
            "speed": float(f"{self.speed:.3g}"),
            "fixed": self.speed < FIXED,
            "eigenvalues": [round(float(v), 6) for v in self.eigenvalues],
            "stable": self.stable,
            "kind": self.kind,
        }


def descend(m, h: np.ndarray, bounded: bool = True, iterations: int = ITERATIONS) -> np.ndarray:
    """Minimise ||F(h) - h||^2 from every start h (B, n) at once by Levenberg-Marquardt, then polish the
    near-fixed ones with Newton steps; returns the final states.

    Each iteration works only on the starts still moving: a start leaves once it is fixed, or once its
    damping has grown so large that no step improves it (a local minimum: a slow point or nothing).
    """
    n, h = h.shape[1], h.copy()
    lam = np.full(len(h), 1e-2)  # (B,) damping, per start
    r, J = m.residual(h)
    cost = (r * r).sum(1)
    live = np.flatnonzero(cost > FIXED**2)
    for it in range(iterations):
        if it == HOPELESS[0]:
            live = live[cost[live] < HOPELESS[1] ** 2]
        if not live.size:
            break
        rl, Jl = r[live], J[live]
        JT = Jl.transpose(0, 2, 1)
        g = JT @ rl[:, :, None]  # (L, n, 1)
        step = np.linalg.solve(JT @ Jl + lam[live, None, None] * np.eye(n), -g)[:, :, 0]
        trial = h[live] + step
        if bounded:  # the map's image lies in [-1, 1]^n, and so does every fixed point
            trial = np.clip(trial, -1, 1)
        r2, J2 = m.residual(trial)
        cost2 = (r2 * r2).sum(1)
        better = cost2 < cost[live]
        won = live[better]
        h[won], r[won], J[won], cost[won] = trial[better], r2[better], J2[better], cost2[better]
        lam[live] = np.where(better, lam[live] / 3, lam[live] * 3)
        live = live[(cost[live] > FIXED**2) & (lam[live] < 1e8)]
    for _ in range(5):  # Newton: F(h) - h = 0 solved to machine precision where it is nearly solved
        near = np.flatnonzero((cost < SLOW**2) & (cost > 0))
        if not near.size:
            break
        try:
            trial = h[near] + np.linalg.solve(J[near], -r[near][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            break
        r2, J2 = m.residual(trial)
        ok = (r2 * r2).sum(1) < cost[near]
        idx = near[ok]
        h[idx], r[idx], J[idx], cost[idx] = trial[ok], r2[ok], J2[ok], (r2[ok] ** 2).sum(1)
    return h


def dedup(h: np.ndarray, speed: np.ndarray, tol: float = DEDUP) -> np.ndarray:
    """Indices of the points (P, n) to keep, slowest first: each one farther than tol, in some neuron, from
    every point kept before it."""
    kept = np.empty_like(h)
    keep: list[int] = []
    for i in np.argsort(speed, kind="stable").tolist():
        if keep and (np.abs(kept[: len(keep)] - h[i]).max(axis=1) <= tol).any():
            continue
        kept[len(keep)] = h[i]
        keep.append(i)
    return np.array(keep, dtype=np.intp)


def starts(
    net: RNN, task: Task, iv: Interventions, rng: np.random.Generator, visited: int = VISITED, random: int = RANDOM
) -> np.ndarray:
    """Start states (S, H): distinct states of a teacher-forced run from h = 0 under the interventions, then random
    ones in [-1, 1]^H (for a cell whose units are unbounded, over the range the run visits)."""
    _, xs, _ = teacher_stream(task, 0, 500)
    hs, _ = net.forward(xs[None], np.zeros((1, net.hidden)), iv)
    seen = np.unique(np.round(hs[0], 3), axis=0)  # (U, H)
    if len(seen) > visited:
        seen = seen[rng.choice(len(seen), visited, replace=False)]
    lo, hi = (-1.0, 1.0) if cell_of(net).bounded else (hs[0].min(0) - 0.1, hs[0].max(0) + 0.1)
    return np.vstack([seen, rng.uniform(lo, hi, (random, net.hidden))])


def fixed_points(
    net: RNN, task: Task, iv: Interventions = NONE, seed: int = 0, symbols: str | None = None
) -> list[Point]:
    """The fixed and slow points (speed below SLOW) of each symbol's map, de-duplicated, by symbol in
    vocabulary order, then stable first, then slowest first. Held neurons stay at their held values."""
    rng = np.random.default_rng(seed)
    h0 = starts(net, task, iv, rng)
    out = []
    for x, sym in enumerate(net.vocab):
        if symbols is not None and sym not in symbols:
            continue
        m = cell_of(net).step_map(net.params, x, iv)
        free = m.free
        if not free.size:  # every neuron held: the map is constant, and its value is the one fixed point
            out.append(Point(sym, iv.apply(np.zeros(net.hidden)), 0.0, np.zeros(0)))
            continue
        h = descend(m, h0[:, free], cell_of(net).bounded)
        r, J = m.residual(h)
        speed = np.sqrt((r * r).sum(1))
        ok = np.flatnonzero(speed < SLOW)
        ok = ok[dedup(h[ok], speed[ok])]
        moduli = -np.sort(-np.abs(np.linalg.eigvals(J[ok] + np.eye(len(free)))), axis=1) if ok.size else []
        points = []
        for i, m in zip(ok.tolist(), moduli):
            full = iv.apply(np.zeros(net.hidden))
            full[free] = h[i]
            points.append(Point(sym, full, float(speed[i]), m))
        out += sorted(points, key=lambda p: (not p.stable, p.speed))
    return out


@dataclass(frozen=True, eq=False)
class Plane:
    """Where a phase portrait looks: h = mean + basis.T @ (u, v). For H = 2 the plane itself, else the first two
    principal components of the states a teacher-forced run visits (without interventions, so the frame stays
    put while interventions move the picture)."""

    mean: np.ndarray  # (H,)
    basis: np.ndarray  # (2, H) orthonormal rows
    bounds: tuple[float, float, float, float]  # u from, u to, v from, v to
    names: tuple[str, str]  # the axes, e.g. ("n0", "n1") or ("PC1 71%", "PC2 20%")

    def project(self, h: np.ndarray) -> np.ndarray:
        """Plane coordinates (..., 2) of hidden states (..., H)."""
        return (h - self.mean) @ self.basis.T

    def lift(self, uv: np.ndarray) -> np.ndarray:
        """The hidden states (..., H) at plane coordinates (..., 2)."""
        return self.mean + uv @ self.basis


def plane_of(net: RNN, task: Task, units: int = 200) -> Plane:
    """The plane of a network's phase portrait (see Plane)."""
    H = net.hidden
    if H <= 2 and cell_of(net).bounded:
        basis, names = (np.array([[1.0], [0.0]]), ("n0", "")) if H == 1 else (np.eye(2), ("n0", "n1"))
        return Plane(np.zeros(H), basis, (-1.05, 1.05, -1.05 + 0.05 * (H == 1), 1.05 - 0.05 * (H == 1)), names)
    _, xs, _ = teacher_stream(task, 0, units)
    hs = net.forward(xs[None], np.zeros((1, H)))[0][0]  # (T, H)
    if H <= 2:  # unbounded units: the plane itself, over the range the run visits
        lo, hi = np.append(hs.min(0), -1.0)[:2], np.append(hs.max(0), 1.0)[:2]
        pad = np.maximum((hi - lo) * 0.05, 1e-3)
        basis = np.array([[1.0], [0.0]]) if H == 1 else np.eye(2)
        names = ("n0", "") if H == 1 else ("n0", "n1")
        return Plane(np.zeros(H), basis, (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]), names)
    mean = hs.mean(0)
    _, sv, vt = np.linalg.svd(hs - mean, full_matrices=False)
    share = sv**2 / max((sv**2).sum(), 1e-12)
    uv = (hs - mean) @ vt[:2].T
    lo, hi = uv.min(0), uv.max(0)
    pad = np.maximum((hi - lo) * 0.08, 1e-3)
    return Plane(
        mean,
        vt[:2],
        (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]),
        (f"PC1 {share[0]:.0%}", f"PC2 {share[1]:.0%}"),
    )


def flow(net: RNN, x: int, iv: Interventions, plane: Plane, uv: np.ndarray) -> np.ndarray:
    """Where one step of symbol x moves each plane point uv (n, 2), seen in the plane: (n, 2)."""
    h = iv.apply(plane.lift(uv))  # (n, H)
    f = net.forward(np.full((len(h), 1), x), h, iv)[0][:, 0]  # (n, H)
    return plane.project(f) - plane.project(h)
