"""The known mistakes, as candidate arrays built from the right one: what ``diagnose`` tests.

Each ``Candidate`` holds the sentence that names the mistake, the array a homework with exactly
that mistake would return, the elements to compare (None: all) and the evidence's words.
From the right array alone: the identity (for a sign or a factor), flips in space, two axes
swapped, a shift by one pixel, a border left out.  From the caller's context (input ``x``,
upstream ``dy``, parameters, configuration): the max-pool rules (the gradient spread over the
window, given to every tied maximum, to the argmax transposed inside its window, overlapping
windows overwriting each other), the bias missing or added twice, a convolution's filters flipped
or transposed in forward or dLdx; and the part of the batch a gradient counts.

The arithmetic is the kit's own (``conv4d`` and its adjoints, the mean-pool layer, the pool's
offset views) or a few lines of NumPy here.
"""

from typing import NamedTuple

from typing import Optional

import numpy as np

from nnlayers import conv4d, conv4d_grad_input, conv4d_grad_weight, nn_meanpool_layer
from nnlayers._pool import offset_views

__all__ = ["SAME", "Candidate", "candidates", "batch_part_maker", "has_batch_axis",
           "every_max_gradient", "pair"]

SAME = "same"   # the claim of the identity candidate: a pure factor or sign


class Candidate(NamedTuple):
    """A known mistake: its sentence, the array it gives, the elements compared (None: all),
    and the words for the evidence ("relative error 0 after flipping")."""

    claim: str
    array: np.ndarray
    mask: Optional[np.ndarray] = None
    after: str = "against that"


def pair(value):
    """An int or a pair, as a pair."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def candidates(row, expected, context):
    """Every ``Candidate`` for ``row``, in the order they are tried: the identity first, then
    the ones built from the right array alone, then the context's, the borders last (the
    weakest evidence: they compare the inside only)."""
    yield Candidate(SAME, expected, None, "after scaling")
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
        yield Candidate(f"{row} is the right one flipped in both spatial axes ([..., ::-1, ::-1])"
                        f"{rotated}", expected[..., ::-1, ::-1], None, "after flipping")
    for axis in axes:
        index = "[..., ::-1, :]" if len(axes) == 2 and axis == 2 else "[..., ::-1]"
        yield Candidate(f"{row} is the right one flipped along axis {axis} ({index})",
                        np.flip(expected, axis), None, "after flipping")


def _swaps(row, expected):
    for i in range(expected.ndim):
        for j in range(i + 1, expected.ndim):
            if expected.shape[i] == expected.shape[j] and expected.shape[i] > 1:
                yield Candidate(f"{row} has axes {i} and {j} swapped (transposed)",
                                np.swapaxes(expected, i, j), None, "after swapping them back")


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
            yield Candidate(f"{row} is the right one shifted by one pixel along axis {axis} "
                   f"(its element i holds the right one's element {source}; its {end} element "
                   f"along that axis is {{state}})",
                            np.roll(expected, step, axis), mask, "after shifting back")


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
            yield Candidate(f"{row} is right inside but {{state}} on {where}{why}", expected, mask,
                            "inside the border")


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
    return x4, pair(pool), pair(stride)


def _pool_candidates(row, expected, context):
    x, dy = context.get("x"), context.get("dy")
    if "maxpool" not in str(context.get("kind", "")) or x is None or dy is None:
        return
    x = np.asarray(x, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    x4, pool, stride = _pool_geometry(context, x)
    if row == "forward":
        mean = nn_meanpool_layer(pool, stride).forward(x4).reshape(expected.shape)
        yield Candidate("forward takes each window's mean (mean pooling), not its maximum",
                        mean, None, "against the windows' means")
    if not row.startswith("dLdx"):
        return
    dy4 = dy.reshape(x4.shape[:2] + (-1, dy.shape[-1]))
    spread = nn_meanpool_layer(pool, stride).backprop(x4, dy4).reshape(x.shape)
    yield Candidate("the max-pool gradient is spread evenly over each window (mean pooling's "
                    "rule), not given to the window's maximum", spread, None, "against that rule")
    yield Candidate("every tied maximum receives the window's gradient (torch and the course "
                    "give it to the first maximum only)",
                    every_max_gradient(x4, dy4, pool, stride).reshape(x.shape), None,
                    "against that rule")
    if pool[0] == pool[1] > 1:
        yield Candidate("each window's gradient goes to the maximum's position transposed "
                        "inside the window (row and column of the argmax swapped, e.g. "
                        "np.unravel_index with the axes in the wrong order)",
                        _transposed_argmax(x4, dy4, pool, stride).reshape(x.shape), None,
                        "against that rule")
    for k in range(pool[0] * pool[1]):                 # a fixed position, not the argmax
        i, j = divmod(k, pool[1])
        fixed = np.zeros(x4.shape)
        offset_views(fixed, pool, stride, dy4.shape[2:])[k] += dy4
        yield Candidate(f"each window's gradient goes to the same position ({i}, {j}) of the "
                        f"window whatever the values (the argmax is never used: right only on "
                        f"an ordered ramp such as arange + 1, whose maxima all sit there)",
                        fixed.reshape(x.shape), None, "against that rule")
    if stride[0] < pool[0] or stride[1] < pool[1]:
        yield Candidate("overlapping windows overwrite each other's gradient instead of adding "
                        "up (dx[window] = ... where it must be dx[window] += ...)",
                        _overwritten(x4, dy4, pool, stride).reshape(x.shape), None,
                        "against that rule")
        yield Candidate("each window assigns its gradient to its maximum (dx[max] = ...) "
                        "instead of adding it (+=): a pixel that is the maximum of two "
                        "overlapping windows keeps only the last one's",
                        _assigned_at_max(x4, dy4, pool, stride).reshape(x.shape), None,
                        "against that rule")


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


def _assigned_at_max(x, dy, pool, stride):
    """Windows in row-major order, each assigning its gradient to its first maximum."""
    first = _first_max_offsets(x, pool, stride, dy.shape[2:])
    dx = np.zeros(x.shape)
    n, c = np.indices(dy.shape[:2])
    for a in range(dy.shape[2]):
        for b in range(dy.shape[3]):
            i, j = np.divmod(first[:, :, a, b], pool[1])
            dx[n, c, a * stride[0] + i, b * stride[1] + j] = dy[:, :, a, b]
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
    yield Candidate(f"forward is missing the bias: got - expected equals -{name} for every "
                    f"output pixel", expected - b, None, "after adding it back")
    yield Candidate(f"forward adds the bias twice: got - expected equals {name}", expected + b,
                    None, "after taking one away")


_CONVOLVED = ("(a convolution where the course asks for the cross-correlation, or the flip done "
              "twice)")
_FILTER_VARIANTS = {   # kind -> (words, change of the (F, C, KH, KW) filters)
    "conv2d": (("flipped in both spatial axes " + _CONVOLVED, lambda w: w[..., ::-1, ::-1]),
               ("transposed (W.swapaxes(2, 3): rows and columns of each filter swapped)",
                lambda w: w.swapaxes(2, 3))),
    "conv1d": (("reversed (W[..., ::-1]) " + _CONVOLVED, lambda w: w[..., ::-1]),),
}


def _conv_overwritten(x4, w4, dy4, stride, padding):
    """dLdx (N, C, H, W) of a homework that assigns (``=``) each window's share of the padded
    dLdx where it must add (``+=``): windows in row-major order, the last one covering a
    pixel wins.  Dilation 1 (the courses' layers)."""
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    n, c, h, w = x4.shape
    kh, kw = w4.shape[2:]
    dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for i in range(dy4.shape[2]):
        for j in range(dy4.shape[3]):
            share = np.tensordot(dy4[:, :, i, j], w4, axes=(1, 0))   # (N, C, KH, KW)
            dxp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] = share
    return dxp[:, :, ph:ph + h, pw:pw + w]


def _filter_candidates(row, expected, context):
    """Forward and dLdx of a convolution computed with each filter flipped or transposed,
    and dLdx with overlapping windows overwriting each other."""
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
    dy4 = None if row != "dLdx" or context.get("dy") is None else np.asarray(context["dy"], np.float64).reshape(
        (x4.shape[0], w4.shape[0], -1, np.shape(context["dy"])[-1]))
    for words, change in _FILTER_VARIANTS[kind]:
        w = np.ascontiguousarray(change(w4))
        if w.shape != w4.shape or np.array_equal(w, w4):
            continue
        if row == "forward":
            y = conv4d(x4, w, stride, padding, dilation).reshape(expected.shape)
            b = np.asarray(params.get("b", 0.0), np.float64)
            candidate = y + (b.reshape((1, -1) + (1,) * (expected.ndim - 2)) if b.ndim else b)
            yield Candidate(f"forward uses the filters {words}", candidate, None,
                            "against that computation")
        elif dy4 is not None:
            candidate = conv4d_grad_input(dy4, w, x4.shape, stride, padding, dilation)
            yield Candidate(f"dLdx is computed with the filters {words}",
                            candidate.reshape(expected.shape), None, "against that computation")
    overlap = any(k > s for k, s in zip(w4.shape[2:], pair(stride)))
    if row == "dLdx" and dy4 is not None and overlap and pair(dilation) == (1, 1):
        yield Candidate("overlapping windows overwrite each other's share of dLdx (= where "
                        "col2im must add: +=)",
                        _conv_overwritten(x4, w4, dy4, stride, padding).reshape(expected.shape),
                        None, "against that computation")


def _conv_geometry(kind, x, w, config):
    """x (N, C, H, W), w (F, C, KH, KW), stride, padding, dilation: 1-D seen as height 1."""
    stride, padding = config.get("stride", 1), config.get("padding", 0)
    dilation = config.get("dilation", 1)
    if kind == "conv1d":
        return (x[:, :, None, :], w[:, :, None, :], (1, stride), (0, padding), (1, dilation))
    return x, w, stride, padding, dilation


# ---------------------------------------------------------------------------------------------
# Part of the batch: got is the right array counting only some images (possibly scaled).

def has_batch_axis(row):
    """forward and dLdx (also "dLdx (ties)") hold one slice per image along axis 0."""
    return row == "forward" or row.startswith("dLdx")


def batch_part_maker(row, expected, context):
    """``(N, images -> the right array counting only those images)``, or None when unknown.

    forward and dLdx: the other images zeroed.  dLdb: the sum of dy over those images' pixels.
    dLdW of a convolution or a linear layer: the kit's adjoint on those images only.
    """
    x, dy = context.get("x"), context.get("dy")
    if has_batch_axis(row):
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
