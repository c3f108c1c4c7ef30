"""Type aliases shared by the kit's annotations (one place, so every signature says the same)."""

import os
from typing import Any, Dict, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__all__ = ["Array", "ArrayLike", "Config", "Grads", "IntPair", "PathLike", "Seed", "Shape",
           "ShapeLike"]

ArrayLike = npt.ArrayLike                 # anything np.asarray accepts: inputs
Array = npt.NDArray[Any]                  # what the kit returns: a NumPy array
IntPair = Union[int, Tuple[int, int]]     # stride, padding, dilation, kernel: an int or (h, w)
Shape = Tuple[int, ...]                   # an array shape, (N, C, H, W) etc.
ShapeLike = Sequence[int]                 # a shape given by the user: a tuple or list of ints
PathLike = Union[str, "os.PathLike[str]"]  # a file path: str or pathlib.Path
Config = Dict[str, Any]                   # a layer's configuration as JSON-able data
Seed = Union[None, int, np.random.Generator, np.random.SeedSequence]   # rng: fresh, seed, generator
Grads = Tuple[Array, Array, Array]        # backprop of a two-parameter layer: (dLdx, dLdW, dLdb)
