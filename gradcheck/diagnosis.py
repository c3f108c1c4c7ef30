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

The relative error is ``numeric.relative_error``, the figure of the reference check itself.
"""

import numpy as np

from nnlayers import conv4d, conv4d_grad_input, conv4d_grad_weight, nn_meanpool_layer
from nnlayers._pool import offset_views

from .numeric import relative_error

__all__ = ["diagnose", "diagnose_result", "worst_elements", "localise", "every_max_gradient"]

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
    for claim, candidate, mask in _candidates(row, expected, context):
        match = _fit(got, candidate, mask, tol)
        if match is not None:
            scale, error = match
            line = (_factor_line(row, scale, counts) if claim is _SAME
                    else claim + _scale_suffix(scale, counts))
            if mask is not None:   # say what the elements left out of the comparison hold
                line = line.replace("{state}", "wrong" if got[~mask].any() else "zero")
            return [f"{line}: relative error {error:.1g} against that"]
    part = _part_of_batch(row, expected, got, context, tol)
    if part:
        return [part]
    return [NO_MATCH.format(row=row), _where_wrong(expected, got, tol)]


_SAME = "same"   # the identity candidate: a pure factor or sign


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


def _number(value):
    """4 significant digits, more when that would show a factor near 1 as "1"."""
    short = f"{value:.4g}"
    return f"{value:.12g}" if abs(float(short)) == 1.0 else short


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
            counts.append((name, int(np.prod(_pair(config[key])))))
    batch = context.get("batch")
    if batch is None:
        batch = next((np.shape(a)[0] for a in (x, dy) if a is not None and np.ndim(a) >= 2),
                     expected.shape[0] if _has_batch_axis(row) and expected.ndim >= 2
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
    if stride is not None and max(_pair(stride)) > 1:
        counts.append(("stride", max(_pair(stride))))
    counts.append(("2", 2))
    return [(name, float(n)) for name, n in counts if n and n > 1]


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


# ---------------------------------------------------------------------------------------------
# Candidates: (claim, array, mask); mask None compares every element.

def _candidates(row, expected, context):
    yield _SAME, expected, None
    yield from _flips(row, expected)
    yield from _swaps(row, expected)
    yield from _shifts(row, expected)
    yield from _context_candidates(row, expected, context)
    yield from _borders(row, expected, context.get("kind"))


def _spatial_axes(array):
    """The spatial axes: the last two of a 4-D array, the last of a 3-D one."""
    return {4: (2, 3), 3: (2,)}.get(array.ndim, ())


def _flips(row, expected):
    axes = _spatial_axes(expected)
    if len(axes) == 2:
        rotated = ", as if each filter were rotated by 180 degrees" if row == "dLdW" else ""
        yield (f"{row} is the right one flipped in both spatial axes ([..., ::-1, ::-1])"
               f"{rotated}", expected[..., ::-1, ::-1], None)
    for axis in axes:
        index = "[..., ::-1, :]" if len(axes) == 2 and axis == 2 else "[..., ::-1]"
        yield (f"{row} is the right one flipped along axis {axis} ({index})",
               np.flip(expected, axis), None)


def _swaps(row, expected):
    for i in range(expected.ndim):
        for j in range(i + 1, expected.ndim):
            if expected.shape[i] == expected.shape[j] and expected.shape[i] > 1:
                yield (f"{row} has axes {i} and {j} swapped (transposed)",
                       np.swapaxes(expected, i, j), None)


def _shifts(row, expected):
    """One pixel along each spatial axis, both ways: compared where the shifted array overlaps."""
    for axis in _spatial_axes(expected):
        if expected.shape[axis] < 3:
            continue
        for step in (1, -1):
            mask = np.ones(expected.shape, dtype=bool)
            edge = [slice(None)] * expected.ndim
            edge[axis] = 0 if step == 1 else -1
            mask[tuple(edge)] = False
            source, end = ("i - 1", "first") if step == 1 else ("i + 1", "last")
            yield (f"{row} is the right one shifted by one pixel along axis {axis} "
                   f"(its element i holds the right one's element {source}; its {end} element "
                   f"along that axis is {{state}})",
                   np.roll(expected, step, axis), mask)


def _borders(row, expected, kind):
    """Right inside a border of width 1 or 2 (every side or some), wrong on the border."""
    axes = _spatial_axes(expected)
    if not axes:
        return
    why = ""
    if "conv" in str(kind):
        why = (": the padding is wrong" if row == "forward" else
               ": the gradient does not reach the border (padding not undone, or dLdy not "
               "padded by the kernel size - 1)")
    sides = [(axis, end) for axis in axes for end in (0, -1)]
    for chosen in _side_sets(sides):
        for width in (1, 2):
            mask = np.ones(expected.shape, dtype=bool)
            for axis, end in chosen:
                edge = [slice(None)] * expected.ndim
                edge[axis] = slice(0, width) if end == 0 else slice(-width, None)
                mask[tuple(edge)] = False
            if mask.sum() * 2 < mask.size:
                continue
            where = _side_words(chosen, width, len(axes), len(sides))
            yield f"{row} is right inside but {{state}} on {where}{why}", expected, mask


def _side_sets(sides):
    """Each single side, then each pair, then every side together: the smallest border first."""
    if len(sides) > 1:
        yield from ([side] for side in sides)
        yield from ([a, b] for k, a in enumerate(sides) for b in sides[k + 1:])
    yield sides


def _side_words(chosen, width, num_axes, num_sides):
    if len(chosen) == num_sides:
        return f"the border of width {width}"
    names = {(2, 0): "top", (2, -1): "bottom", (3, 0): "left", (3, -1): "right"} if num_axes == 2 \
        else {(2, 0): "first", (2, -1): "last"}
    unit = {2: "rows", 3: "columns"} if num_axes == 2 else {2: "elements"}
    return " and ".join(f"the {names[side]} {width} {unit[side[0]]}" for side in chosen)


# ---------------------------------------------------------------------------------------------
# Candidates from the context: pool rules, the bias, the filters.

def _context_candidates(row, expected, context):
    try:
        yield from _pool_candidates(row, expected, context)
        yield from _bias_candidates(row, expected, context)
        yield from _filter_candidates(row, expected, context)
    except (ValueError, TypeError, KeyError, IndexError):
        return  # a context that does not fit the arrays: no candidates from it


def _pool_geometry(context, x):
    """x as (N, C, H, W), the pool and stride as pairs."""
    config = context.get("config") or {}
    pool = config.get("pool", config.get("kernel"))
    stride = config.get("stride", pool)
    x4 = x[:, :, None, :] if x.ndim == 3 else x
    if x.ndim == 3:
        return x4, (1, int(pool)), (1, int(stride))
    return x4, _pair(pool), _pair(stride)


def _pool_candidates(row, expected, context):
    if not row.startswith("dLdx") or "maxpool" not in str(context.get("kind", "")):
        return
    x, dy = context.get("x"), context.get("dy")
    if x is None or dy is None:
        return
    x = np.asarray(x, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    x4, pool, stride = _pool_geometry(context, x)
    dy4 = dy.reshape(x4.shape[:2] + (-1, dy.shape[-1]))
    spread = nn_meanpool_layer(pool, stride).backprop(x4, dy4).reshape(x.shape)
    yield ("the max-pool gradient is spread evenly over each window (mean pooling's rule), "
           "not given to the window's maximum", spread, None)
    yield ("every tied maximum receives the window's gradient (torch and the course give it "
           "to the first maximum only)", every_max_gradient(x4, dy4, pool, stride).reshape(x.shape),
           None)
    if pool[0] == pool[1] > 1:
        yield ("each window's gradient goes to the maximum's position transposed inside the "
               "window (row and column of the argmax swapped, e.g. np.unravel_index with the "
               "axes in the wrong order)", _transposed_argmax(x4, dy4, pool, stride).reshape(
                   x.shape), None)
    if stride[0] < pool[0] or stride[1] < pool[1]:
        yield ("overlapping windows overwrite each other's gradient instead of adding up "
               "(dx[window] = ... where it must be dx[window] += ...)",
               _overwritten(x4, dy4, pool, stride).reshape(x.shape), None)


def _first_max_offsets(x, pool, stride, out_hw):
    """(N, C, OH, OW): the row-major offset inside each window of its first maximum."""
    views = offset_views(x, pool, stride, out_hw)
    top = np.max(np.stack(views), axis=0)
    first = np.full(top.shape, -1)
    for k, view in enumerate(views):
        first = np.where((first < 0) & (view == top), k, first)
    return first


def _transposed_argmax(x, dy, pool, stride):
    """Each window's gradient sent to (j, i) when its first maximum is at (i, j); square pools."""
    first = _first_max_offsets(x, pool, stride, dy.shape[2:])
    dx = np.zeros(x.shape)
    targets = offset_views(dx, pool, stride, dy.shape[2:])
    for k in range(pool[0] * pool[1]):
        i, j = divmod(k, pool[1])
        targets[j * pool[1] + i] += (first == k) * dy
    return dx


def _overwritten(x, dy, pool, stride):
    """Windows in row-major order, each assigning its window of dx (zeros but its maximum)."""
    first = _first_max_offsets(x, pool, stride, dy.shape[2:])
    dx = np.zeros(x.shape)
    offsets = np.arange(pool[0] * pool[1])
    for a in range(dy.shape[2]):
        for b in range(dy.shape[3]):
            rows = slice(a * stride[0], a * stride[0] + pool[0])
            cols = slice(b * stride[1], b * stride[1] + pool[1])
            hit = offsets == first[:, :, a, b, None]
            dx[:, :, rows, cols] = (hit * dy[:, :, a, b, None]).reshape(dy.shape[:2] + pool)
    return dx


def every_max_gradient(x, dy, pool, stride):
    """Max-pool backprop that gives each window's gradient to EVERY element equal to its
    maximum.  x (N, C, H, W), dy (N, C, OH, OW), pool and stride pairs; returns dx like x."""
    out_hw = dy.shape[2:]
    top = np.max(np.stack(offset_views(x, pool, stride, out_hw)), axis=0)
    dx = np.zeros(x.shape)
    for view, target in zip(offset_views(x, pool, stride, out_hw),
                            offset_views(dx, pool, stride, out_hw)):
        target += (view == top) * dy
    return dx


def _bias_candidates(row, expected, context):
    params = context.get("params") or {}
    name = next((n for n in ("b", "beta") if n in params), None)
    if row != "forward" or name is None or expected.ndim < 2:
        return
    b = np.asarray(params[name], dtype=np.float64)
    if b.size != expected.shape[1]:
        return
    b = b.reshape((1, -1) + (1,) * (expected.ndim - 2))
    yield (f"forward is missing the bias: got - expected equals -{name} for every output pixel",
           expected - b, None)
    yield f"forward adds the bias twice: got - expected equals {name}", expected + b, None


_FILTER_VARIANTS = (
    ("flipped in both spatial axes (a convolution where the course asks for the "
     "cross-correlation, or the flip done twice)", lambda w: w[..., ::-1, ::-1]),
    ("transposed (W.swapaxes(2, 3): rows and columns of each filter swapped)",
     lambda w: w.swapaxes(2, 3)),
)


def _filter_candidates(row, expected, context):
    """Forward and dLdx of a convolution computed with each filter flipped or transposed."""
    kind = context.get("kind")
    params = context.get("params") or {}
    if kind not in ("conv2d", "conv1d") or "W" not in params or row not in ("forward", "dLdx"):
        return
    x = context.get("x")
    if x is None:
        return
    x4, w4, stride, padding, dilation = _conv_geometry(kind, np.asarray(x, np.float64),
                                                       np.asarray(params["W"], np.float64),
                                                       context.get("config") or {})
    for words, change in _FILTER_VARIANTS:
        w = np.ascontiguousarray(change(w4))
        if w.shape != w4.shape or np.array_equal(w, w4):
            continue
        if row == "forward":
            y = conv4d(x4, w, stride, padding, dilation).reshape(expected.shape)
            b = np.asarray(params.get("b", 0.0), np.float64)
            candidate = y + (b.reshape((1, -1) + (1,) * (expected.ndim - 2)) if b.ndim else b)
            yield f"forward uses the filters {words}", candidate, None
        elif context.get("dy") is not None:
            dy4 = np.asarray(context["dy"], np.float64).reshape((x4.shape[0], w4.shape[0], -1,
                                                                 np.shape(context["dy"])[-1]))
            candidate = conv4d_grad_input(dy4, w, x4.shape, stride, padding, dilation)
            yield (f"dLdx is computed with the filters {words}", candidate.reshape(expected.shape),
                   None)


def _conv_geometry(kind, x, w, config):
    """x (N, C, H, W), w (F, C, KH, KW), stride, padding, dilation: 1-D seen as height 1."""
    stride, padding = config.get("stride", 1), config.get("padding", 0)
    dilation = config.get("dilation", 1)
    if kind == "conv1d":
        return (x[:, :, None, :], w[:, :, None, :], (1, stride), (0, padding), (1, dilation))
    return x, w, stride, padding, dilation


# ---------------------------------------------------------------------------------------------
# Part of the batch: got is the right array counting only some images (possibly scaled).

def _has_batch_axis(row):
    """forward and dLdx (also "dLdx (ties)") hold one slice per image along axis 0."""
    return row == "forward" or row.startswith("dLdx")


def _batch_part_maker(row, expected, context):
    """``(N, images -> the right array counting only those images)``, or None when unknown.

    forward and dLdx: the other images zeroed.  dLdb: the sum of dy over those images' pixels.
    dLdW of a convolution or a linear layer: the kit's adjoint on those images only.
    """
    x, dy = context.get("x"), context.get("dy")
    if _has_batch_axis(row):
        if expected.ndim < 2:
            return None

        def kept(images):
            part = np.zeros_like(expected)
            part[images] = expected[images]
            return part
        return expected.shape[0], kept
    if dy is None:
        return None
    dy = np.asarray(dy, dtype=np.float64)
    if row in ("dLdb", "dLdbeta") and dy.ndim >= 2 and expected.size == dy.shape[1]:
        pixels = (0,) + tuple(range(2, dy.ndim))
        return dy.shape[0], lambda images: dy[images].sum(axis=pixels).reshape(expected.shape)
    if row != "dLdW" or x is None:
        return None
    x = np.asarray(x, dtype=np.float64)
    if context.get("kind") in ("conv2d", "conv1d"):
        x4, w4, stride, padding, dilation = _conv_geometry(
            context["kind"], x, np.zeros(expected.shape), context.get("config") or {})
        dy4 = dy.reshape((dy.shape[0], dy.shape[1], -1, dy.shape[-1]))
        return x4.shape[0], lambda images: conv4d_grad_weight(
            x4[images], dy4[images], w4.shape, stride, padding, dilation).reshape(expected.shape)
    if context.get("kind") == "linear" and x.ndim == 2 and dy.ndim == 2:
        # W (out, in) as the kit and torch hold it, or (in, out) as deep-learning-from-scratch
        if expected.shape == (dy.shape[1], x.shape[1]):
            return x.shape[0], lambda images: dy[images].T @ x[images]
        if expected.shape == (x.shape[1], dy.shape[1]):
            return x.shape[0], lambda images: x[images].T @ dy[images]
    return None


def _part_of_batch(row, expected, got, context, tol):
    """"only image 0 of the batch ..." when got counts some images only (the first or last
    few, or one), possibly scaled."""
    try:
        maker = _batch_part_maker(row, expected, context)
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
                    + f": relative error {error:.1g} against that")
        if _has_batch_axis(row):
            what = "is computed" if row == "forward" else "receives a gradient"
            return f"only {which} of the batch {what}{evidence}"
        last = (" (the last one: each image overwrote the previous share instead of adding "
                "to it)" if images == [n - 1] else "")
        return f"{row} sums the share of only {which} of the batch of {n}{last}{evidence}"
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
