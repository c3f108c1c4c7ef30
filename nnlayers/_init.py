"""Weight initialisation shared by the parameter layers: the course's He-style normal draw."""

import math
import numbers

import numpy as np

from ._validate import as_int, as_real, check_nbytes

__all__ = ["init_args", "as_generator", "he_normal"]


def init_args(where, std, rng):
    """``(std, generator)``: std as a finite float >= 0; rng (None for fresh entropy, a
    seed >= 0, or a Generator) as a ``numpy.random.Generator``."""
    return as_real(where, "std", std, 0, math.inf, high_open=True), as_generator(where, rng)


def as_generator(where, rng, name="rng"):
    """``rng`` (None for fresh entropy, a seed >= 0, or a Generator) as a
    ``numpy.random.Generator``; ``name`` is the argument's name in messages."""
    if rng is None or isinstance(rng, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    if not isinstance(rng, numbers.Integral) or isinstance(rng, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be None, an integer seed or a "
                        f"numpy.random.Generator, got {rng!r}")
    return np.random.default_rng(as_int(where, f"{name} seed", rng, minimum=0))


def he_normal(where, generator, shape, fan_in, std):
    """Draws of ``N(0, std / sqrt(fan_in / 2))`` of ``shape``: the course's initialisation.

    A shape too large for the machine is a ValueError saying how many bytes it would need."""
    check_nbytes(where, "the weights", shape, np.float64)
    return generator.normal(0.0, std / np.sqrt(fan_in / 2), shape)
