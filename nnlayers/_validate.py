"""Argument checks shared by every public function of the kit.

Each check raises one clear error per mistake: ``TypeError`` for a wrong type
or dtype, ``ValueError`` for a wrong shape or value.  Every message names the
calling function (``where``), the argument, what it got and what was expected,
so a user never meets a NumPy broadcasting error from deep inside the kit.
"""

import numbers

import numpy as np

__all__ = [
    "as_real_array",
    "as_int_pair",
    "as_positive_int",
    "check_shape",
    "float_dtype",
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


def as_real_array(where, name, value, ndim=None):
    """Return ``value`` as an ndarray of real numbers (bool, integer or float).

    Raises TypeError for strings, objects, complex numbers and anything NumPy
    cannot turn into a numeric array; ValueError when ``ndim`` is given and the
    array has another number of dimensions.  ``ndim`` may be an int or a tuple
    of accepted values.  The array is not copied when it is already an ndarray.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged nested lists and the like
        raise TypeError(
            f"{where}: {name} must be an array of real numbers; "
            f"NumPy could not convert it ({error})"
        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{where}: {name} must hold real numbers (bool, integer or float), "
            f"got dtype {array.dtype}"
        )
    if ndim is not None:
        accepted = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in accepted:
            wanted = " or ".join(f"{n}-D" for n in accepted)
            raise ValueError(
                f"{where}: {name} must be {wanted}, got a {array.ndim}-D array "
                f"of shape {array.shape}"
            )
    return array


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def as_positive_int(where, name, value, minimum=1):
    """Return ``value`` as an int, checking it is an integer >= ``minimum``."""
    if not _is_int(value):
        raise TypeError(
            f"{where}: {name} must be an integer, got {value!r} "
            f"({type(value).__name__})"
        )
    if value < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {value}")
    return int(value)


def as_int_pair(where, name, value, minimum=1):
    """Return ``value`` (an int, or a pair of ints) as a tuple of two ints.

    Each entry must be an integer >= ``minimum`` (1 for stride, dilation and
    window sizes; 0 for padding).  Floats, even 2.0, are rejected: a size is
    never silently truncated.
    """
    if _is_int(value):
        pair = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        pair = tuple(value)
    else:
        raise TypeError(
            f"{where}: {name} must be an integer or a pair of integers, "
            f"got {value!r}"
        )
    for entry in pair:
        if not _is_int(entry):
            raise TypeError(
                f"{where}: {name} must be an integer or a pair of integers, "
                f"got {value!r}"
            )
        if entry < minimum:
            raise ValueError(
                f"{where}: {name} must be >= {minimum}, got {value!r}"
            )
    return int(pair[0]), int(pair[1])


def check_shape(where, name, array, expected, why=""):
    """Raise ValueError unless ``array.shape == expected``."""
    if tuple(array.shape) != tuple(expected):
        reason = f" ({why})" if why else ""
        raise ValueError(
            f"{where}: {name} must have shape {tuple(expected)}{reason}, "
            f"got {tuple(array.shape)}"
        )


def layer_input(where, x, ndim):
    """``x`` as a float array (integers and bool as float64) of ``ndim`` dimensions."""
    x = as_real_array(where, "x", x, ndim=ndim)
    return x.astype(float_dtype(x.dtype), copy=False)


def layer_upstream(where, dLdy, y_shape, x_dtype):
    """``dLdy`` as a float array of the forward output's shape, in the computation's dtype."""
    dLdy = as_real_array(where, "dLdy", dLdy)
    check_shape(where, "dLdy", dLdy, y_shape, "the shape of forward(x)")
    return dLdy.astype(float_dtype(x_dtype, dLdy.dtype), copy=False)
