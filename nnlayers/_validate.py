"""Argument checks shared by every public function of the kit: the only validators it has.

Each check raises one clear error per mistake: ``TypeError`` for a wrong type or dtype,
``ValueError`` for a wrong shape, size or value.  Every message names the calling function
(``where``: the real function name, or ``type(self).__name__`` plus the method), the
argument, what it got and what was expected, so a user never meets a NumPy error from
deep inside the kit.  Integers may be Python or NumPy integers (never bool, never a float:
a size is not silently truncated).
"""

import contextlib
import math
import numbers
import os
import warnings
from typing import Any, Iterator, Optional, Tuple, Union

import numpy as np
from numpy.typing import DTypeLike

from ._typing import Array, ArrayLike, Shape

__all__ = [
    "as_int",
    "as_int_tuple",
    "as_int_pair",
    "as_real",
    "as_real_array",
    "as_sequence",
    "as_shape",
    "check_nbytes",
    "check_shape",
    "float_dtype",
    "inner_errors",
    "member_label",
    "layer_input",
    "layer_upstream",
]


def float_dtype(*dtypes):
    """The floating dtype the kit computes in for arrays of ``dtypes``.

    float32 stays float32, float64 stays float64, mixed floats follow
    ``np.result_type``; integer and bool promote to float64.
    """
    dtype = np.result_type(*dtypes)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return dtype


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def as_int(where: str, name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as a Python int, checking it is an integer >= ``minimum``."""
    if not _is_int(value):
        raise TypeError(f"{where}: {name} must be an integer, got {value!r} "
                        f"({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {value}")
    return int(value)


def as_int_tuple(where, name, value, length, minimum=1):
    """``value`` (an int, or a tuple/list of ``length`` ints) as a tuple of ``length`` ints,
    each >= ``minimum`` (1 for stride, dilation and window sizes; 0 for padding)."""
    wanted = {1: "an integer", 2: "an integer or a pair of integers"}.get(
        length, f"an integer or {length} integers")
    if _is_int(value):
        entries = (value,) * length
    elif isinstance(value, (tuple, list)) and len(value) == length:
        entries = tuple(value)
    else:
        raise TypeError(f"{where}: {name} must be {wanted}, got {value!r}")
    if not all(_is_int(entry) for entry in entries):
        raise TypeError(f"{where}: {name} must be {wanted}, got {value!r}")
    if any(entry < minimum for entry in entries):
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {value!r}")
    return tuple(int(entry) for entry in entries)


def as_int_pair(where: str, name: str, value: Any, minimum: int = 1) -> Tuple[int, int]:
    """``value`` (an int, or a pair of ints) as a tuple of two ints >= ``minimum``."""
    return as_int_tuple(where, name, value, 2, minimum)


def as_real(where, name, value, low=-math.inf, high=math.inf, low_open=False, high_open=False):
    """``value`` as a float in the interval from ``low`` to ``high`` (closed unless ``*_open``).

    NaN is never inside an interval.  An integer beyond the float range counts as infinite
    (so it is refused where ``high_open`` excludes inf), and -0.0 is returned as 0.0 (NumPy
    refuses a normal scale of -0.0 as negative)."""
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be a real number, got {value!r} "
                        f"({type(value).__name__})")
    try:
        number = float(value)
    except OverflowError:   # an int such as 10**400
        number = math.inf if value > 0 else -math.inf
    above = low < number if low_open else low <= number
    below = number < high if high_open else number <= high
    if not (above and below):
        if high == math.inf:
            bounds = f"{'>' if low_open else '>='} {low}"
        else:
            bounds = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        finite = " (it must be finite)" if math.isinf(number) and above else ""
        raise ValueError(f"{where}: {name} must be {bounds}, got {value}{finite}")
    return number + 0.0   # -0.0 + 0.0 is 0.0


def as_sequence(where, name, value, length=None):
    """``value`` (a tuple or a list) as a tuple, of ``length`` entries when given."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{where}: {name} must be a tuple or a list, got "
                        f"{type(value).__name__}")
    if length is not None and len(value) != length:
        raise ValueError(f"{where}: {name} must have {length} entries, got {len(value)}")
    return tuple(value)


def as_real_array(where: str, name: str, value: ArrayLike,
                  ndim: Optional[Union[int, Tuple[int, ...]]] = None) -> Array:
    """``value`` as an ndarray of real numbers (bool, integer or float).

    Raises TypeError for None, strings, objects, complex numbers and anything NumPy cannot
    turn into a numeric array; ValueError when ``ndim`` (an int or a tuple of accepted
    values) is given and the array has another number of dimensions.  The array is not
    copied when it is already an ndarray.
    """
    # numpy < 1.24 only warns about a ragged list (and makes an object array): an error here
    ragged = getattr(np, "exceptions", np).VisibleDeprecationWarning
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ragged)
            array = np.asarray(value)
    # ragged nested lists and the like; RuntimeError: a torch tensor that requires grad
    except (TypeError, ValueError, RuntimeError, ragged) as error:
        raise TypeError(f"{where}: {name} must be an array of real numbers; NumPy could not "
                        f"convert it ({error})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {name} must hold real numbers (bool, integer or float), "
                        f"got {type(value).__name__} of dtype {array.dtype}")
    if ndim is not None:
        accepted = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in accepted:
            wanted = " or ".join(f"{n}-D" for n in accepted)
            raise ValueError(f"{where}: {name} must be {wanted}, got a {array.ndim}-D array "
                             f"of shape {array.shape}")
    return array


def as_shape(where, name, value, ndim):
    """A shape argument (such as ``x_shape``): a tuple of ``ndim`` integers >= 1."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{where}: {name} must be a tuple of {ndim} integers, got {value!r}")
    if len(value) != ndim:
        raise ValueError(f"{where}: {name} must have {ndim} entries, got {tuple(value)!r}")
    return tuple(as_int(where, name, size, minimum=0 if i == 0 else 1)
                 for i, size in enumerate(value))


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        return 1 << 62


def check_nbytes(where, what, shape, dtype):
    """Raise ValueError when an array of ``shape`` and ``dtype`` could never be allocated
    (more bytes than the machine's physical memory), saying how many bytes it would need.

    An empty axis counts as 1: NumPy refuses even an empty array whose other axes multiply
    beyond its limits, and an empty batch is refused where one image would be."""
    nbytes = math.prod(max(1, int(size)) for size in shape) * np.dtype(dtype).itemsize
    available = _physical_memory()
    if nbytes > available:
        raise ValueError(f"{where}: {what} of shape {tuple(shape)} would need {nbytes:,} bytes, "
                         f"more than this machine's {available:,} bytes of memory")


def check_shape(where, name, array, expected, why=""):
    """Raise ValueError unless ``array.shape == expected``."""
    if tuple(array.shape) != tuple(expected):
        reason = f" ({why})" if why else ""
        raise ValueError(f"{where}: {name} must have shape {tuple(expected)}{reason}, "
                         f"got {tuple(array.shape)}")


def layer_input(where: str, x: ArrayLike, ndim: Optional[Union[int, Tuple[int, ...]]] = None,
                name: str = "x") -> Array:
    """``x`` as a float array (integers and bool as float64) of ``ndim`` dimensions.

    The batch axis (axis 0) may be empty; any other empty axis is a ValueError."""
    x = as_real_array(where, name, x, ndim=ndim)
    if x.ndim == 0:
        raise ValueError(f"{where}: {name} must have a batch axis, got a 0-D array")
    if 0 in x.shape[1:]:
        raise ValueError(f"{where}: {name} has an empty axis, shape {x.shape} (only the batch "
                         f"axis may be empty)")
    return x.astype(float_dtype(x.dtype), copy=False)


def layer_upstream(where: str, dLdy: ArrayLike, y_shape: Shape, x_dtype: DTypeLike) -> Array:
    """``dLdy`` as a float array of the forward output's shape, in the computation's dtype."""
    dLdy = as_real_array(where, "dLdy", dLdy)
    check_shape(where, "dLdy", dLdy, y_shape, "the shape of forward(x)")
    return dLdy.astype(float_dtype(x_dtype, dLdy.dtype), copy=False)


def member_label(branch: str, i: int, layer: Any) -> str:
    """How a container's messages name one of its layers: ``body[0] (nn_convolutional_layer)``."""
    return f"{branch}[{i}] ({type(layer).__name__})"


@contextlib.contextmanager
def inner_errors(where: str, what: str) -> Iterator[None]:
    """Re-raise a TypeError or ValueError from an inner call (a layer inside a container, a
    module being converted) as ``"{where}: {what}: {inner message}"``, so the message names
    the function the user called as well as the inner one that refused.  A message that
    already starts with ``where`` is left as it is."""
    try:
        yield
    except (TypeError, ValueError) as error:
        if str(error).startswith(f"{where}:"):
            raise
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(f"{where}: {what}: {error}") from error
