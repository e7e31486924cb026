"""Neighbourhoods: a square grid of cells (a Mesa ``OrthogonalMooreGrid``) with property layers.

Layers (one value per neighbourhood, read and written as numpy arrays):

* ``poverty``   share of poor households (fixed; spatially smooth)
* ``control``   id of the controlling group, -1 if none
* ``conflict``  rival conflict intensity in [0, 1] (evenly matched rivals -> 1)
* ``violence``  violence index: presence of a group plus conflict
* ``policing``  policing intensity (1 = national average response)

Cells are numbered row-major, ``h = x * side + y``; ``Neighbourhoods.flat(name)`` returns the layer
as a flat view indexed by ``h``, which is what the processes use.
"""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid
from scipy.ndimage import convolve, gaussian_filter
from scipy.special import expit, logit

LAYERS = {"poverty": float, "control": int, "conflict": float, "violence": float, "policing": float}

#: 3x3 kernel summing the eight neighbours (Moore neighbourhood) of a cell.
MOORE = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)


#: Side of the grid, the same for every number of agents: each of the ``GRID_SIDE**2`` cells stands for a
#: fixed share (1/256) of the country's real youths, so the geometry of territory (borders, adjacency,
#: contested cells) does not depend on how many agents represent them (scale invariance).
GRID_SIDE = 16

#: Smallest number of agents for which results are sound: about 80 agents per cell, enough for peer ties
#: within the cell (``peer_degree`` ties spread over ``peer_age_window`` months of age) and for
#: cell-level counts; below it, rates still agree on average but cells are too thin (the CLI warns).
MIN_SOUND_AGENTS = 20_000


def grid_side(n_agents: int | None = None) -> int:
    """Grid side: ``GRID_SIDE`` whatever the number of agents (a cell is a share of real people)."""
    return GRID_SIDE


class Neighbourhoods:
    def __init__(self, model, side: int, rng: np.random.Generator, poverty_rate: float, segregation: float):
        self.side = side
        self.n = side * side
        self.grid = OrthogonalMooreGrid((side, side), torus=False, random=model.random)
        for name, dtype in LAYERS.items():
            self.grid.create_property_layer(name, default_value=dtype(-1 if name == "control" else 0), dtype=dtype)
        # Smooth random field -> neighbourhood poverty with the national mean.
        noise = gaussian_filter(rng.standard_normal((side, side)), sigma=max(1.0, side / 6), mode="nearest")
        noise = (noise - noise.mean()) / (noise.std() + 1e-12) * segregation
        shift = _solve_shift(noise, poverty_rate)
        self.layer("poverty")[:] = expit(logit(poverty_rate) + shift + noise)
        self.layer("policing")[:] = 1.0

    def layer(self, name: str) -> np.ndarray:
        """The 2-D array behind a Mesa property layer (a live view)."""
        return self.grid._mesa_property_layers[name].data

    def flat(self, name: str) -> np.ndarray:
        """The layer as a flat, writable view indexed by neighbourhood number."""
        return self.layer(name).reshape(-1)

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum over the Moore neighbours of each cell; ``values`` is (n,) or (n, k)."""
        v = values.reshape(self.side, self.side, -1)
        out = np.stack([convolve(v[..., j], MOORE, mode="constant") for j in range(v.shape[2])], axis=-1)
        return out.reshape(values.shape)

    def neighbours(self) -> list[np.ndarray]:
        """For each cell, the flat ids of its Moore neighbours."""
        out = []
        for h in range(self.n):
            x, y = divmod(h, self.side)
            ids = [(x + dx) * self.side + (y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                   if (dx or dy) and 0 <= x + dx < self.side and 0 <= y + dy < self.side]
            out.append(np.array(ids, dtype=np.int64))
        return out


def _solve_shift(noise: np.ndarray, mean: float) -> float:
    """Shift on the logit scale so that the mean of expit(logit(mean) + shift + noise) is ``mean``."""
    lo, hi = -10.0, 10.0
    base = logit(mean)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if expit(base + mid + noise).mean() < mean:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
