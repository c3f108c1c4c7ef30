"""Say in words what a wrong array is: the known mistake it matches, and its worst elements.

    diagnose(row, expected, got, context) -> (lines, worst)
    diagnose_result(gradient_result, context) fills a failed report row's diagnosis and worst
    localise(evaluate, point, grad, upstream) -> worst coordinates, numeric vs analytic

``diagnose`` builds "known wrong" versions of the right array and tests each against the
homework's: the right one negated, scaled, flipped in space, with two axes swapped, shifted by a
pixel, cut to part of the batch or to the inside of a border; and, from what the caller knows
(the input, the upstream gradient, the parameters, the configuration), the max-pool gradient
spread evenly over each window or given to every tied maximum, a forward without its bias or with
flipped filters.  Every candidate gets the least-squares scale that fits ``got`` best, so a
mistake that comes with a constant factor (a flip divided by the batch size) is still named, and
the factor too.  A candidate matches when the relative error of ``got`` against it is at most
1e-6 (1e-4 for a float32 homework): then the first line names it, with that figure as evidence.

The candidates live in ``mistakes.py``; the relative error is ``numeric.relative_error``, the
figure of the reference check itself.
"""

import numpy as np

from .mistakes import SAME, batch_part_maker, candidates, has_batch_axis, pair
from .numeric import relative_error

__all__ = ["diagnose", "diagnose_result", "worst_elements", "localise"]

TOLERANCE = 1e-6            # a candidate matches at this relative error or below
FLOAT32_TOLERANCE = 1e-4    # ... when the homework computes in float32
NO_MATCH = ("{row} matches no known mistake (sign, constant factor, flip, swapped axes, shift, "
            "pool rule, missing bias, part of the batch or border): see its worst elements")


def diagnose(row, expected, got, context=None):
    """What is wrong with ``got``, in words, and its three worst elements.

    Parameters
    ----------
    row : str, which array this is: "forward", "dLdx", "dLdW", "dLdb", "dLdgamma", ...
    expected : float array, the reference's (the kit's), any shape: (N, C, H, W) for forward
        and dLdx of 2-D layers, (N, C, W) for 1-D ones, (F, C, KH, KW) for dLdW, ...
    got : float array of the same shape, the homework's.
    context : dict of what the caller knows, every key optional:
        "kind"   "conv2d", "conv1d", "maxpool2d", "meanpool2d", "linear", "batchnorm", ...
        "x"      the layer's input (N, C, H, W) or (N, C, W)
        "dy"     the upstream gradient, shaped like the forward output (N, F, OH, OW)
        "params" {"W": (F, C, KH, KW), "b": F values, ...} as the homework holds them
        "config" {"kernel": (KH, KW), "stride": s, "padding": p, "pool": k, ...}
        "batch"  N;  "dtype" the homework's dtype (float32 loosens the match to 1e-4)
        "tolerance"  the relative error at which a candidate matches (overrides "dtype")

    Returns
    -------
    lines : list of str.  Empty when ``got`` is right (relative error at most the tolerance);
        else the first line names the known mistake with its evidence, or says that it matches
        none.
    worst : [(index tuple, expected, got), ...], the 3 elements with the largest |got - expected|.
    """
    where = "diagnose"
    if not isinstance(row, str):
        raise TypeError(f"{where}: row must be a str such as 'dLdx', got {type(row).__name__}")
    expected = _real_array(where, "expected", expected)
    got = _real_array(where, "got", got)
    if expected.shape != got.shape:
        raise ValueError(f"{where}: expected and got must have the same shape, got "
                         f"expected.shape = {expected.shape}, got.shape = {got.shape}")
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise TypeError(f"{where}: context must be a dict (or None), got {type(context).__name__}")
    worst = worst_elements(expected, got)
    tol = _tolerance(where, context)
    if relative_error(expected, got) <= tol:
        return [], worst
    return _explain(row, expected, got, context, tol), worst


def diagnose_result(result, context=None):
    """Diagnose a failed row of a report in place: a ``numeric.GradientResult`` whose
    ``expected`` and ``got`` arrays were kept by the reference check.  A row that passed, has
    no arrays (no reference, an error) or already holds a diagnosis (the tie rule's) is left as
    it is.  ``context`` as for ``diagnose``; the row's own tolerance decides the matches."""
    expected, got = getattr(result, "expected", None), getattr(result, "got", None)
    if result.status != "FAIL" or expected is None or got is None or result.diagnosis:
        return result
    if np.shape(expected) != np.shape(got):
        return result
    context = dict(context or {}, tolerance=result.tolerance)
    result.diagnosis, result.worst = diagnose(result.gradient, expected, got, context)
    return result


def _tolerance(where, context):
    """The context's "tolerance", else 1e-4 for a float32 "dtype", else 1e-6."""
    tol = context.get("tolerance")
    if tol is not None:
        if not isinstance(tol, (int, float)) or not 0 <= tol < 1:
            raise ValueError(f"{where}: context['tolerance'] must be a number in [0, 1), "
                             f"got {tol!r}")
        return float(tol)
    try:
        dtype = np.dtype(context.get("dtype", "float64"))
    except TypeError:
        raise TypeError(f"{where}: context['dtype'] must be a NumPy dtype such as "
                        f"np.float32, got {context['dtype']!r}") from None
    return FLOAT32_TOLERANCE if dtype == np.float32 else TOLERANCE


def worst_elements(expected, got, count=3):
    """``[(index, expected, got), ...]``: the ``count`` largest |got - expected|, worst first
    (NaN and inf count as the worst); ``expected`` and ``got`` of one shape."""
    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        error = np.abs(got - expected).ravel()
    error = np.where(np.isnan(error), np.inf, error)
    order = np.argsort(-error, kind="stable")[:count]
    return [(tuple(int(i) for i in np.unravel_index(k, got.shape)),
             float(expected.flat[k]), float(got.flat[k])) for k in order]


def _real_array(where, name, value):
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {name} must be an array of real numbers, got dtype "
                        f"{array.dtype}")
    return array.astype(np.float64)


# ---------------------------------------------------------------------------------------------
# The explanation: special states first, then every candidate in order, first match wins.

def _explain(row, expected, got, context, tol):
    bad = ~np.isfinite(got) & np.isfinite(expected)
    if bad.any():
        return [f"{row} holds NaN or inf at {int(bad.sum())} of {got.size} elements where the "
                f"right one is finite"]
    if not expected.any():
        return [f"{row} should be zero everywhere, but {np.count_nonzero(got)} of its "
                f"{got.size} elements are not"]
    if not got.any():
        return [f"{row} is zero everywhere" + ("" if row == "forward" else ": nothing reaches it")]
    counts = _named_counts(row, expected, context)
    for candidate in candidates(row, expected, context):
        match = _fit(got, candidate.array, candidate.mask, tol)
        if match is not None:
            scale, error = match
            after = candidate.after
            if candidate.claim is SAME:
                line = _factor_line(row, scale, counts)
                after = "after negating" if scale == -1.0 else after
            else:
                line = candidate.claim + _scale_suffix(scale, counts)
                after += " and scaling" if scale != 1.0 else ""
            if candidate.mask is not None:  # what the elements left out of the comparison hold
                line = line.replace("{state}", "wrong" if got[~candidate.mask].any() else "zero")
            return [f"{line}: relative error {_number(error, 1)} {after}"]
    part = _part_of_batch(row, expected, got, context, tol)
    if part:
        return [part]
    return [NO_MATCH.format(row=row), _where_wrong(expected, got, tol)]


def _fit(got, candidate, mask, tol):
    """``(scale, relative error)`` of ``got`` against ``scale * candidate`` (least squares,
    on ``mask`` only when given), or None when it does not match within ``tol``."""
    if candidate is None or candidate.shape != got.shape:
        return None
    a, b = (candidate, got) if mask is None else (candidate[mask], got[mask])
    norm = float(np.sum(a * a))
    if norm == 0.0 or not np.isfinite(norm):
        return None
    scale = float(np.sum(a * b)) / norm
    if scale == 0.0:
        return None
    # a quick necessary condition first (plain sums: BLAS-backed norms crawl on a busy machine)
    residual = b - scale * a
    if float(np.sum(residual * residual)) > 4 * tol * tol * scale * scale * norm:
        return None
    error = relative_error(scale * a, b)
    if error > tol:
        return None
    # a scale within the tolerance of 1 is no factor: the candidate itself matches
    if abs(scale - 1.0) <= tol:
        scale = 1.0
    elif abs(scale + 1.0) <= tol:
        scale = -1.0
    elif b.size < 2:
        return None     # one number is always some factor of another: no evidence
    return scale, error


def _factor_line(row, scale, counts):
    """The line for a pure sign or constant factor: ``got == scale * expected``."""
    if scale == -1.0:
        return f"{row} has the wrong sign: it is the right one negated"
    name = _factor_name(scale, counts)
    size = abs(scale)
    if name.startswith(("1/", "-1/")):
        words = f"{'-' if scale < 0 else ''}1/{1 / size:.4g} of the right one"
    else:
        words = f"{_number(scale)} times the right one"
    return f"{row} is {words}: a constant factor {_number(scale)}{name and ' = ' + name}" + (
        "" if name else ", not a count the grader knows")


def _scale_suffix(scale, counts):
    """What a fitted scale adds to another claim ("" when it is 1)."""
    if scale == 1.0:
        return ""
    if scale == -1.0:
        return ", with the wrong sign"
    name = _factor_name(scale, counts)
    return f", scaled by {_number(scale)}{name and ' = ' + name}"


def _number(value, digits=4):
    """``digits`` significant digits, more when that would show a factor near 1 as "1"."""
    short = f"{value:.{digits}g}"
    return f"{value:.12g}" if abs(float(short)) == 1.0 and value not in (1.0, -1.0) else short


def _factor_name(scale, counts):
    """"1/batch size (8)", "-window area (4)", ... or "" when |scale| is no known count."""
    sign = "-" if scale < 0 else ""
    size = abs(scale)
    for prefix, value in (("", size), ("1/", 1.0 / size)):
        names = [(name, n) for name, n in counts if abs(value - n) <= 1e-6 * n]
        if names:
            (first, n), others = names[0], names[1:]
            also = ", ".join(name if name == "2" else f"the {name}" for name, _ in others)
            return f"{sign}{prefix}{first} ({n:g}{'; also ' + also if also else ''})"
    return ""


def _named_counts(row, expected, context):
    """The counts a factor may be: batch size, window area, channels, pixels, stride, 2."""
    x, dy, config = context.get("x"), context.get("dy"), context.get("config") or {}
    counts = []
    for key, name in (("pool", "window area"), ("kernel", "kernel area")):
        if config.get(key) is not None:
            counts.append((name, int(np.prod(pair(config[key])))))
    batch = context.get("batch")
    if batch is None:
        batch = next((np.shape(a)[0] for a in (x, dy) if a is not None and np.ndim(a) >= 2),
                     expected.shape[0] if has_batch_axis(row) and expected.ndim >= 2
                     else None)
    if batch:
        counts.append(("batch size", batch))
    if x is not None and np.ndim(x) >= 3:
        counts.append(("number of input channels", np.shape(x)[1]))
        counts.append(("number of input pixels", int(np.prod(np.shape(x)[2:]))))
    if dy is not None and np.ndim(dy) >= 3:
        counts.append(("number of output channels", np.shape(dy)[1]))
        counts.append(("number of output pixels", int(np.prod(np.shape(dy)[2:]))))
        counts.append(("batch size times output pixels",
                       np.shape(dy)[0] * int(np.prod(np.shape(dy)[2:]))))
    stride = config.get("stride")
    if stride is not None and max(pair(stride)) > 1:
        counts.append(("stride", max(pair(stride))))
    counts.append(("2", 2))
    return [(name, float(n)) for name, n in counts if n and n > 1]

def _part_of_batch(row, expected, got, context, tol):
    """"only image 0 of the batch ..." when got counts some images only (the first or last
    few, or one), possibly scaled."""
    try:
        maker = batch_part_maker(row, expected, context)
        return _match_batch_part(row, expected, got, context, tol, maker) if maker else ""
    except (ValueError, TypeError, KeyError, IndexError):
        return ""   # a context that does not fit the arrays


def _match_batch_part(row, expected, got, context, tol, maker):
    n, part = maker
    subsets = ([list(range(k)) for k in range(1, n)] + [list(range(k, n)) for k in range(1, n)]
               + [[i] for i in range(1, min(n - 1, 16))])
    for images in subsets:
        match = _fit(got, part(images), None, tol)
        if match is None:
            continue
        scale, error = match
        which = f"image {images[0]}" if len(images) == 1 else f"images {_ranges(images)}"
        evidence = (_scale_suffix(scale, _named_counts(row, expected, context))
                    + f": relative error {_number(error, 1)} against ")
        if has_batch_axis(row):
            what = "is computed" if row == "forward" else "receives a gradient"
            return f"only {which} of the batch {what}{evidence}those images alone"
        last = (" (the last one: each image overwrote the previous share instead of adding "
                "to it)" if images == [n - 1] else "")
        return f"{row} sums the share of only {which} of the batch of {n}{last}{evidence}that sum"
    return ""


def _ranges(indices):
    """[0, 1, 2, 5] -> "0-2, 5"."""
    parts, start = [], indices[0]
    for a, b in zip(indices, list(indices[1:]) + [None]):
        if b != a + 1:
            parts.append(f"{start}" if start == a else f"{start}-{a}")
            start = b
    return ", ".join(parts)


def _where_wrong(expected, got, tol):
    """Where the wrong elements are: how many, and at which indices of axes 0 and 1."""
    wrong = np.abs(got - expected) > tol * float(np.max(np.abs(expected)))
    text = f"wrong at {int(wrong.sum())} of {wrong.size} elements ({100 * wrong.mean():.3g} %)"
    places = []
    for axis in range(min(2, wrong.ndim - 1)):
        others = tuple(a for a in range(wrong.ndim) if a != axis)
        places.append(f"axis {axis} at {_ranges(np.flatnonzero(wrong.any(axis=others)).tolist())}")
    return text + (": " + "; ".join(places) if places else "")

# ---------------------------------------------------------------------------------------------
# No reference: CS231n's sparse coordinate check.

def localise(evaluate, point, grad, upstream, *, k=10, step=1e-5, seed=0, count=3):
    """Where an analytic gradient is wrong, for a layer with no reference.

    The numeric derivative of ``L(p) = sum(upstream * evaluate(p))`` is taken by central
    differences, ``(L(p + step*e_i) - L(p - step*e_i)) / (2*step)``, at the ``k`` coordinates
    where |grad| is largest and at ``k`` random ones (CS231n's sparse gradient check).

    Parameters
    ----------
    evaluate : callable, array shaped like ``point`` -> forward output shaped like ``upstream``
    point : float array, any shape (the input (N, C, H, W), or a parameter such as W)
    grad : float array shaped like ``point``, backprop's dL/dpoint for this ``upstream``
    upstream : float array shaped like the forward output, the dL/dy backprop received
    k, step, seed : coordinates per kind, finite-difference step, seed of the random ones
    count : how many coordinates to return

    Returns
    -------
    [(index, numeric, analytic), ...]: the ``count`` checked coordinates with the largest
    relative error |analytic - numeric| / max(|numeric|, |analytic|), worst first.
    """
    where = "localise"
    if not callable(evaluate):
        raise TypeError(f"{where}: evaluate must be callable, got {type(evaluate).__name__}")
    point = _real_array(where, "point", point)
    grad = _real_array(where, "grad", grad)
    upstream = _real_array(where, "upstream", upstream)
    if grad.shape != point.shape:
        raise ValueError(f"{where}: grad must have point's shape {point.shape}, got {grad.shape}")
    for name, value in (("k", k), ("count", count)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{where}: {name} must be an integer >= 1, got {value!r}")
    if not (isinstance(step, (int, float)) and np.isfinite(step) and step > 0):
        raise ValueError(f"{where}: step must be a finite number > 0, got {step!r}")
    largest = np.argsort(-np.abs(grad).ravel(), kind="stable")[:k]
    random = np.random.default_rng(seed).choice(point.size, size=min(k, point.size),
                                                replace=False)
    checked = []
    for flat in dict.fromkeys(np.concatenate([largest, random]).tolist()):
        numeric = _coordinate_derivative(evaluate, point, upstream, flat, step)
        analytic = float(grad.flat[flat])
        scale = max(abs(numeric), abs(analytic))
        error = abs(analytic - numeric) / scale if scale > 0 else 0.0
        index = tuple(int(i) for i in np.unravel_index(flat, point.shape))
        checked.append((error, index, numeric, analytic))
    checked.sort(key=lambda item: -item[0])
    return [(index, numeric, analytic) for _, index, numeric, analytic in checked[:count]]


def _coordinate_derivative(evaluate, point, upstream, flat, step):
    values = []
    for sign in (1, -1):
        moved = point.copy()
        moved.flat[flat] += sign * step
        output = np.asarray(evaluate(moved), dtype=np.float64)
        if output.shape != upstream.shape:
            raise ValueError(f"localise: evaluate returned shape {output.shape}, upstream has "
                             f"{upstream.shape}")
        values.append(float(np.sum(upstream * output)))
    return (values[0] - values[1]) / (2 * step)
