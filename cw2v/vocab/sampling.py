"""Sampling tables for the training kernels, built from word counts.

Frequent-word subsampling
    :func:`keep_thresholds` gives each word a uint32 threshold ``thr``; the
    kernels keep an occurrence iff ``r < thr or thr == 0xFFFFFFFF`` for a
    uniform uint32 ``r``. The keep probability is word2vec.c's
    ``p = (sqrt(c / (sample*T)) + 1) * (sample*T) / c`` clipped to 1, with
    ``T`` the total count, encoded as ``thr = min(floor(p * 2**32), 2**32 - 1)``
    (so ``p == 1`` maps to the "always keep" value 0xFFFFFFFF).

Negative-sampling noise
    :class:`NoiseTable` is Walker's alias table for the distribution
    ``counts**exponent`` (normalised), drawn in O(1) with two uniform uint32s
    ``r1, r2``::

        i = (r1 * V) >> 32                       # 64-bit product
        word = i if (r2 < accept[i] or accept[i] == 0xFFFFFFFF) else alias[i]

    The kernels implement exactly this; :meth:`NoiseTable.sample` is the NumPy
    reference of it.
"""
from __future__ import annotations

import logging
import math
from typing import Optional

import numpy as np

logger = logging.getLogger(__name__)

ALWAYS = np.uint32(0xFFFFFFFF)
_TWO_32 = float(2 ** 32)

__all__ = ["ALWAYS", "keep_probabilities", "keep_thresholds", "NoiseTable", "build_noise_table"]


def _as_counts(counts, name: str = "counts") -> np.ndarray:
    arr = np.asarray(counts)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if arr.size and not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0):
        raise ValueError(f"{name} must be finite and non-negative")
    return arr


def _probabilities_to_uint32(p: np.ndarray) -> np.ndarray:
    """Encode probabilities in [0, 1] as uint32 thresholds (1 -> 0xFFFFFFFF)."""
    scaled = np.floor(np.clip(p, 0.0, 1.0) * _TWO_32)
    return np.minimum(scaled, _TWO_32 - 1).astype(np.uint32)


def keep_probabilities(counts, sample: float) -> np.ndarray:
    """float64[V]: probability of keeping each occurrence of each word.

    word2vec.c's formula (see module docstring); ``sample == 0`` keeps
    everything; words with count 0 get 1. ValueError for negative or NaN
    ``sample``.
    """
    c = _as_counts(counts)
    if sample is None or not isinstance(sample, (int, float, np.integer, np.floating)) or isinstance(sample, bool) \
            or math.isnan(sample) or sample < 0:
        raise ValueError(f"sample must be a number >= 0 (0 disables subsampling), got {sample!r}")
    if sample == 0 or c.size == 0:
        return np.ones(c.size)
    threshold = float(sample) * c.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (np.sqrt(c / threshold) + 1.0) * threshold / c
    p[c == 0] = 1.0
    return np.minimum(p, 1.0)


def keep_thresholds(counts, sample: float) -> np.ndarray:
    """uint32[V] subsampling thresholds for the kernels (see module docstring).

    ``counts``: per-word counts, shape (V,). ``sample == 0`` gives all
    0xFFFFFFFF (no subsampling). Logs how many words are downsampled and the
    expected number of tokens kept per pass.
    """
    p = keep_probabilities(counts, sample)
    if sample:
        c = np.asarray(counts, dtype=np.float64)
        total = c.sum()
        kept = float((p * c).sum())
        logger.info("sample=%g downsamples %i most frequent words, keeping an estimated %i of %i tokens (%.1f%%)",
                    sample, int((p < 1).sum()), round(kept), round(total), 100.0 * kept / total if total else 100.0)
    return _probabilities_to_uint32(p)


class NoiseTable:
    """Alias table drawing word ids with probability proportional to ``counts**exponent``.

    Attributes
    ----------
    accept : np.ndarray, uint32, shape (V,)
        Slot ``i`` yields ``i`` when ``r2 < accept[i]`` (or ``accept[i]`` is
        0xFFFFFFFF, meaning always), else ``alias[i]``.
    alias : np.ndarray, int32, shape (V,)
        The other word of slot ``i``.
    probabilities : np.ndarray, float64, shape (V,)
        The target distribution (sums to 1).
    exponent : float

    ``exponent`` may be any finite real: 0 gives the uniform distribution
    (including words with count 0), negative values favour rare words (then
    every count must be positive).
    """

    def __init__(self, counts, exponent: float = 0.75):
        c = _as_counts(counts)
        if c.size == 0:
            raise ValueError("cannot build a noise distribution over an empty vocabulary")
        if c.size >= 2 ** 31:
            raise ValueError("a vocabulary of 2**31 words or more does not fit int32 ids")
        exponent = float(exponent)
        if not math.isfinite(exponent):
            raise ValueError(f"exponent must be a finite number, got {exponent!r}")
        self.exponent = exponent
        self.probabilities = _power_distribution(c, exponent)
        self.accept, self.alias = _alias_table(self.probabilities)

    def __len__(self) -> int:
        return self.accept.shape[0]

    def __repr__(self) -> str:
        return f"NoiseTable({len(self)} words, exponent={self.exponent})"

    def implied_probabilities(self) -> np.ndarray:
        """float64[V]: the distribution the table actually draws from (for checks)."""
        n = len(self)
        acc = np.where(self.accept == ALWAYS, 1.0, self.accept / _TWO_32)
        return (acc + np.bincount(self.alias, weights=1.0 - acc, minlength=n)) / n

    def sample(self, n: int, rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Draw ``n`` word ids (int64[n]) exactly as the kernels do, from ``rng``'s uint32s."""
        rng = np.random.default_rng() if rng is None else rng
        r1 = rng.integers(0, 2 ** 32, size=n, dtype=np.uint64)
        r2 = rng.integers(0, 2 ** 32, size=n, dtype=np.uint64)
        slot = (r1 * np.uint64(len(self))) >> np.uint64(32)
        acc = self.accept[slot]
        take_slot = (r2 < acc) | (acc == ALWAYS)
        return np.where(take_slot, slot.astype(np.int64), self.alias[slot].astype(np.int64))


def build_noise_table(counts, exponent: float = 0.75) -> NoiseTable:
    """The negative-sampling :class:`NoiseTable` for ``counts**exponent``."""
    return NoiseTable(counts, exponent)


def _power_distribution(c: np.ndarray, exponent: float) -> np.ndarray:
    """``c**exponent`` normalised, computed in log space so no exponent overflows."""
    if exponent == 0:
        return np.full(c.size, 1.0 / c.size)
    positive = c > 0
    if not positive.any():
        raise ValueError("every count is 0: no noise distribution can be built")
    if exponent < 0 and not positive.all():
        raise ValueError(f"a negative exponent ({exponent}) needs every count to be positive; found a count of 0")
    log_w = np.full(c.size, -np.inf)
    log_w[positive] = exponent * np.log(c[positive])
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def _alias_table(p: np.ndarray):
    """Vose's alias method: (accept uint32[V], alias int32[V]) for distribution ``p``."""
    n = p.size
    scaled = (p * n).tolist()  # mean 1: slots below 1 borrow from slots above
    accept = [1.0] * n
    alias = list(range(n))
    small = [i for i, s in enumerate(scaled) if s < 1.0]
    large = [i for i, s in enumerate(scaled) if s >= 1.0]
    while small and large:
        lo = small.pop()
        hi = large[-1]
        accept[lo] = scaled[lo]
        alias[lo] = hi
        scaled[hi] -= 1.0 - scaled[lo]
        if scaled[hi] < 1.0:
            small.append(large.pop())
    # Whatever remains is 1 up to rounding: those slots keep themselves.
    return _probabilities_to_uint32(np.array(accept)), np.array(alias, dtype=np.int32)
