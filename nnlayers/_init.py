"""Weight initialisation shared by the parameter layers: the course's He-style normal draw."""

import numbers

import numpy as np

__all__ = ["make_rng", "check_std", "he_normal"]


def make_rng(where, rng):
    """``rng`` as a ``numpy.random.Generator``: None (fresh entropy), a seed, or a Generator."""
    if isinstance(rng, bool) or not (rng is None or isinstance(
            rng, (numbers.Integral, np.random.Generator, np.random.SeedSequence))):
        raise TypeError(f"{where}: rng must be None, an integer seed or a "
                        f"numpy.random.Generator, got {rng!r}")
    if isinstance(rng, numbers.Integral) and rng < 0:
        raise ValueError(f"{where}: rng seed must be >= 0, got {rng}")
    return np.random.default_rng(rng)


def check_std(where, std):
    """``std`` as a float >= 0."""
    if not isinstance(std, numbers.Real) or isinstance(std, bool):
        raise TypeError(f"{where}: std must be a real number, got {std!r}")
    if not std >= 0:  # also rejects NaN
        raise ValueError(f"{where}: std must be >= 0, got {std}")
    return float(std)


def he_normal(generator, shape, fan_in, std):
    """Draws of ``N(0, std / sqrt(fan_in / 2))``: the course's initialisation."""
    return generator.normal(0.0, std / np.sqrt(fan_in / 2), shape)
