"""The fused training step: ``nn_sequential_model.train_step`` for networks of known layers.

A network of blocks ``conv [ReLU] [max-pool]``, then ``flatten`` and ``linear [ReLU] ...
linear`` with the cross-entropy loss (the courses' CNN) is computed here in one pass that
gives the same numbers as the layers' own ``forward``/``backprop`` chain (to rounding: the
matrix products are the same, only the memory they read differs), faster:

- Between layers, activations stay batch-last, ``(C, H, W, N)``: the layout the matrix
  product ``W (F, C*KH*KW) @ cols (C*KH*KW, OH*OW*N)`` produces.  A block writes its output
  straight into the zero-padded input buffer of the next convolution, so nothing is
  transposed back to ``(N, C, H, W)`` and nothing is padded twice.
- The window matrix ``cols`` that a convolution builds in the forward pass is the one its
  weight gradient ``dL/dW = dL/dz (F, P) @ cols.T`` needs: it is kept until then, instead of
  being built again in backprop.
- Bias, ReLU and max pooling work on the product's layout; ReLU is applied after the pooling
  (``max(relu(z)) == relu(max(z))``, and the gradient reaches the same pixel: the first
  maximum of its window, and nothing where the maximum is <= 0), so it touches a quarter of
  the numbers.  The pooling records which window offset won, so backprop does not search
  again.
- The first convolution's input gradient is not computed (nothing uses it).

Everything lives in local variables of one call: the layers keep no state, and the single-
layer protocol is unchanged.  Under ``nnlayers.memory_limit`` the batch goes through the
whole network in chunks of images whose scratch memory fits the bound; weight gradients are
summed over the chunks.  Without a bound, chunks of about ``STEP_CHUNK_VALUES`` numbers of scratch
keep the working set in the processor's cache.

One difference from the layer-by-layer path: where an activation is NaN, the gradient of a
pooling window may go to another offset of that window (both results are NaN anyway).
"""

import numpy as np

from ._geometry import conv_output_size
from ._memory import batch_chunks
from ._pool import offset_views
from ._validate import as_int_pair, as_real_array, float_dtype
from .activations import nn_relu_layer
from .conv4d import _windows, add_windows_back, conv_geometry
from .convolution import nn_convolutional_layer
from .flatten import nn_flatten_layer
from .linear import nn_linear_layer
from .loss import nn_cross_entropy_loss
from .maxpool import nn_max_pooling_layer, nn_maxpool_layer

__all__ = ["fused_plan", "STAGES", "STEP_CHUNK_VALUES"]

# The stage functions below, by name (benchmarks/bench_train_step.py times each).
STAGES = ("padded_input", "im2col", "conv_product", "pool_relu", "head_forward",
          "loss_and_gradient", "head_backward", "pool_relu_backward", "conv_weight_grads",
          "conv_input_grad")

# Scratch per chunk of images without a bound, in numbers (not bytes: the best chunk held the
# same number of images in both dtypes), ~38 images of the courses' CNN.  Measured (ms per
# step, batch 64 / 256): float32 whole batch 19 / 46, chunks of 24 MiB 8.7 / 35, 16 MiB 9.6 /
# 36, 8 MiB 11 / 43; float64 32 MiB 24.5 / 64, 48 MiB 21.8 / 63, 96 MiB 23 / 83.  Chunks keep
# the working set in cache and reuse freed memory instead of faulting in fresh pages; too
# small ones pay per-call overheads.
STEP_CHUNK_VALUES = 6 << 20

_POOLS = (nn_maxpool_layer, nn_max_pooling_layer)


# ---- the plan: which layers, which shapes ----------------------------------------------------

class _ConvBlock:
    """conv, then optionally ReLU, then optionally max pooling; shapes for one input size."""

    def __init__(self, conv, relu, pool, in_shape):
        self.conv, self.relu, self.pool = conv, relu, pool
        *_, y_shape = conv_geometry("nn_convolutional_layer.forward", in_shape, conv.W.shape,
                                    conv.stride, conv.padding, conv.dilation)
        self.in_chw, self.z_hw = tuple(in_shape[1:]), tuple(y_shape[2:])
        out_hw = self.z_hw
        if pool is not None:   # a ValueError if the window does not fit
            out_hw = tuple(conv_output_size(size, p, s) for size, p, s in zip(out_hw, *pool))
        self.out_shape = (in_shape[0], conv.W.shape[0]) + out_hw

    def padded_shape(self, n):
        c, h, w = self.in_chw
        (ph, pw) = self.conv.padding
        return (c, h + 2 * ph, w + 2 * pw, n)

    def scratch_per_image(self):
        """Numbers per image held or made by this block in a step: cols, dcols, z, dz, buffers."""
        f, c, kh, kw = self.conv.W.shape
        z = f * self.z_hw[0] * self.z_hw[1]
        cols = c * kh * kw * self.z_hw[0] * self.z_hw[1]
        c, hp, wp, _ = self.padded_shape(1)
        return 2 * cols + 2 * z + 2 * c * hp * wp


def _pool_pairs(layer):
    where = type(layer).__name__
    return (as_int_pair(where, "pool_size", layer.pool_size),
            as_int_pair(where, "stride", layer.stride))


def _parse(layers):
    """(conv specs, head specs) for a supported layer list, else None.

    conv specs: [(conv, relu?, pool pairs or None)]; head: [(linear, relu?)]."""
    kinds = [type(layer) for layer in layers]
    convs, i = [], 0
    while i < len(kinds) and kinds[i] is nn_convolutional_layer:
        relu = i + 1 < len(kinds) and kinds[i + 1] is nn_relu_layer
        j = i + 1 + relu
        pool = _pool_pairs(layers[j]) if j < len(kinds) and kinds[j] in _POOLS else None
        convs.append((layers[i], relu, pool))
        i = j + (pool is not None)
    if not convs or i >= len(kinds) or kinds[i] is not nn_flatten_layer:
        return None
    head, i = [], i + 1
    while i < len(kinds) and kinds[i] is nn_linear_layer:
        relu = i + 1 < len(kinds) and kinds[i + 1] is nn_relu_layer
        head.append((layers[i], relu))
        i += 1 + relu
    if not head or i != len(kinds) or head[-1][1]:
        return None
    return convs, head


_NO_LABELS = object()   # fused_plan for logits only (labels=None is a caller's mistake)


def fused_plan(model, x, labels=_NO_LABELS):
    """A ``FusedStep`` for ``model`` and the input ``x``, or None to use the layers one by one.

    None when a layer or the loss is not one the fused step knows, or when ``x`` (or
    ``labels``, if given) does not fit the network: the layer-by-layer path then raises the
    layer's own error message.
    """
    if type(model.loss) is not nn_cross_entropy_loss:
        return None
    parsed = _parse(model.layers)
    if parsed is None:
        return None
    convs, head = parsed
    try:
        x = as_real_array("nn_sequential_model.train_step", "x", x, ndim=4)
        blocks, shape = [], x.shape
        for conv, relu, pool in convs:
            blocks.append(_ConvBlock(conv, relu, pool, shape))
            shape = blocks[-1].out_shape
    except (TypeError, ValueError):
        return None
    features = int(np.prod(shape[1:]))
    for linear, _ in head:
        if linear.W.shape[1] != features:
            return None
        features = linear.W.shape[0]
    if 0 in x.shape or (labels is not _NO_LABELS and not _labels_fit(labels, x.shape[0],
                                                                      features)):
        return None
    return FusedStep(blocks, head, model.loss, x)


def _labels_fit(labels, n, classes):
    """True for n integer labels in 0..classes-1 (anything else: the loss says what is wrong)."""
    try:
        labels = np.asarray(labels)
    except (TypeError, ValueError):   # ragged lists and the like
        return False
    return (labels.dtype.kind in "iu" and labels.shape == (n,)
            and bool((labels >= 0).all() and (labels < classes).all()))


# ---- stages (module functions, so the benchmark can time each) ------------------------------

def padded_input(x, block, dtype):
    """x (n, C, H, W) -> a zero-padded batch-last copy (C, H + 2*ph, W + 2*pw, n) in dtype."""
    buf = np.zeros(block.padded_shape(x.shape[0]), dtype=dtype)
    _interior(buf, block)[...] = x.transpose(1, 2, 3, 0)
    return buf


def _interior(buf, block):
    """The unpadded part of a padded batch-last buffer, (C, H, W, n), a view."""
    (ph, pw), (_, h, w) = block.conv.padding, block.in_chw
    return buf[:, ph:ph + h, pw:pw + w, :]


def im2col(buf, block):
    """Padded batch-last input (C, Hp, Wp, n) -> cols (C*KH*KW, OH*OW*n), a contiguous copy."""
    conv = block.conv
    windows = _windows(buf, conv.W.shape[2:], conv.stride, conv.dilation)  # (OH, OW, C, KH, KW, n)
    cols = np.ascontiguousarray(windows.transpose(2, 3, 4, 0, 1, 5))
    return cols.reshape(-1, cols.shape[3] * cols.shape[4] * cols.shape[5])


def conv_product(w2, b, cols):
    """z = W (F, K) @ cols (K, P) + b, the convolution's output as (F, P), P = OH*OW*n."""
    z = w2 @ cols
    z += b.reshape(-1, 1)
    return z


def _batch_last_offset_views(a, pool, stride, out_hw):
    """``offset_views`` of a batch-last array (F, H, W, n): views (F, OH, OW, n), row-major
    offsets.  (Kept batch-last: NumPy's masked copies run 40x slower on transposed views.)"""
    views = offset_views(a.transpose(3, 0, 1, 2), pool, stride, out_hw)
    return [view.transpose(1, 2, 3, 0) for view in views]


def pool_relu(z4, block, out):
    """Max pooling (if the block has one) then ReLU (if it has one), written into ``out``.

    z4 (F, OH, OW, n) -> out (F, PH, PW, n) (a view into the next buffer may be given).
    Returns ``winner`` (F, PH, PW, n): per output pixel, the index of the window offset that
    held its first maximum (a small unsigned integer), or None without pooling.
    """
    winner = None
    if block.pool is None:
        out[...] = z4
    else:
        views = _batch_last_offset_views(z4, *block.pool, out.shape[1:3])
        np.copyto(out, views[0])
        for view in views[1:]:
            np.maximum(out, view, out=out)
        # winner = how many offsets come before the first one equal to the maximum (no
        # masked copies: NumPy runs those 10x slower than these whole-array passes)
        found = views[0] == out
        winner = np.logical_not(found).astype(np.min_scalar_type(len(views)))
        for view in views[1:-1]:
            found |= view == out
            np.add(winner, np.logical_not(found), out=winner, casting="unsafe")
    if block.relu:
        np.maximum(out, 0, out=out)
    return winner


def pool_relu_backward(g, out, winner, block):
    """Gradient at the block's output g (F, PH, PW, n) -> at the conv output dz (F, OH, OW, n)."""
    if block.relu:
        g = g * (out > 0)
    if block.pool is None:
        return np.ascontiguousarray(g)
    (ph, pw), (sh, sw) = block.pool
    oh, ow = block.z_hw
    pooled_hw = out.shape[1:3]
    tiled = (sh, sw) == (ph, pw) and (oh, ow) == (pooled_hw[0] * ph, pooled_hw[1] * pw)
    dz = (np.empty if tiled else np.zeros)((out.shape[0], oh, ow, out.shape[-1]), dtype=g.dtype)
    overlap = sh < ph or sw < pw
    targets = _batch_last_offset_views(dz, *block.pool, pooled_hw)
    for k, target in enumerate(targets):
        if overlap:
            target += (winner == k) * g
        else:
            np.multiply(winner == k, g, out=target)
    return dz


def head_forward(a, head, dtype):
    """Flattened features a (D, n) through the linear layers: the inputs of each and the
    logits (n, K)."""
    inputs = []
    for linear, relu in head:
        inputs.append(a)
        a = linear.W.astype(dtype, copy=False) @ a
        a += linear.b.astype(dtype, copy=False).reshape(-1, 1)
        if relu:
            np.maximum(a, 0, out=a)
    return inputs, np.ascontiguousarray(a.T)


def loss_and_gradient(loss, logits, labels, share):
    """The chunk's summed loss share and dL/dlogits (n, K) for the whole batch's mean."""
    value = loss.forward(logits, labels)
    return value * share, loss.backprop(logits, labels) * share


def head_backward(dlogits, inputs, head, dtype):
    """dL/dlogits (n, K) -> gradients of each linear layer and dL/da (D, n) at the features.

    ``inputs[j]`` is linear j's input; after a ReLU it is also that ReLU's output, whose
    sign is the ReLU's derivative."""
    g, grads = dlogits.T, []
    for j in reversed(range(len(head))):
        linear, relu = head[j]
        if relu:
            g = g * (inputs[j + 1] > 0)
        grads.append((g @ inputs[j].T, g.sum(axis=1).reshape(1, -1)))
        g = linear.W.astype(dtype, copy=False).T @ g
    return grads[::-1], g


def conv_weight_grads(dz2, cols):
    """dz2 (F, P), cols (K, P) -> (dL/dW as (F, K), dL/db as (F,))."""
    return dz2 @ cols.T, dz2.sum(axis=1)


def conv_input_grad(dz2, w2, block, n):
    """dz2 (F, P) -> dL/d(block input), batch-last (C, H, W, n): dcols = W.T @ dz2, col2im."""
    conv = block.conv
    c, h, w = block.in_chw
    kh, kw = conv.W.shape[2:]
    dcols = (w2.T @ dz2).reshape((c, kh, kw) + block.z_hw + (n,))
    dx = add_windows_back(dcols, (n, c, h, w), conv.stride, conv.padding, conv.dilation)
    return dx.transpose(1, 2, 3, 0)


# ---- the step ---------------------------------------------------------------------------------

class FusedStep:
    """One network and one input batch: ``train_step(labels)`` and ``logits()``."""

    def __init__(self, blocks, head, loss, x):
        self.blocks, self.head, self.loss = blocks, head, loss
        self.dtype = float_dtype(x.dtype)
        self.x = x

    def _chunks(self, target):
        """Even chunks of images: about ``target`` numbers of scratch each, within the bound."""
        values = sum(block.scratch_per_image() for block in self.blocks)
        itemsize = np.dtype(self.dtype).itemsize
        count = len(batch_chunks(self.x.shape[0], values * itemsize, values, target=target))
        bounds = [self.x.shape[0] * i // count for i in range(count + 1)]
        return list(zip(bounds[:-1], bounds[1:]))

    def _weights(self):
        return [(b.conv.W.astype(self.dtype, copy=False).reshape(b.conv.W.shape[0], -1),
                 b.conv.b.astype(self.dtype, copy=False)) for b in self.blocks]

    def _forward(self, x, weights, keep):
        """Through the conv blocks: features (D, n) and, if ``keep``, what backprop needs."""
        n = x.shape[0]
        buf = padded_input(x, self.blocks[0], self.dtype)
        saved = []
        for i, (block, (w2, b)) in enumerate(zip(self.blocks, weights)):
            cols = im2col(buf, block)
            z = conv_product(w2, b, cols)
            if i + 1 < len(self.blocks):
                nxt = np.zeros(self.blocks[i + 1].padded_shape(n), dtype=self.dtype)
                out = _interior(nxt, self.blocks[i + 1])
            else:
                nxt = out = np.empty(block.out_shape[1:] + (n,), dtype=self.dtype)
            winner = pool_relu(z.reshape(z.shape[0], *block.z_hw, n), block, out)
            saved.append((cols, out, winner) if keep else None)
            buf = nxt
        return out.reshape(-1, n), saved

    def logits(self):
        """The network's output (N, K) for the batch, forward only."""
        weights, parts = self._weights(), []
        for start, stop in self._chunks(STEP_CHUNK_VALUES):
            features, _ = self._forward(self.x[start:stop], weights, keep=False)
            parts.append(head_forward(features, self.head, self.dtype)[1])
        return np.concatenate(parts)

    def train_step(self, labels):
        """(loss, logits (N, K), grads): as ``nn_sequential_model.train_step_layerwise``."""
        weights, n_all = self._weights(), self.x.shape[0]
        conv_grads = [[0, 0] for _ in self.blocks]
        head_grads = [[0, 0] for _ in self.head]
        total, parts = 0.0, []
        labels = np.asarray(labels)
        for start, stop in self._chunks(STEP_CHUNK_VALUES):
            n = stop - start
            features, saved = self._forward(self.x[start:stop], weights, keep=True)
            inputs, logits = head_forward(features, self.head, self.dtype)
            parts.append(logits)
            value, dlogits = loss_and_gradient(self.loss, logits, labels[start:stop], n / n_all)
            total += value
            grads, g = head_backward(dlogits, inputs, self.head, self.dtype)
            for acc, new in zip(head_grads, grads):
                acc[0] += new[0]
                acc[1] += new[1]
            for i in reversed(range(len(self.blocks))):
                block, (w2, _) = self.blocks[i], weights[i]
                cols, out, winner = saved[i]
                saved[i] = None
                dz = pool_relu_backward(g.reshape(out.shape), out, winner, block)
                dz2 = dz.reshape(dz.shape[0], -1)
                dw, db = conv_weight_grads(dz2, cols)
                del cols
                conv_grads[i][0] += dw
                conv_grads[i][1] += db
                if i > 0:
                    g = conv_input_grad(dz2, w2, block, n)
        grads = [(dw.reshape(b.conv.W.shape), db.reshape(b.conv.b.shape))
                 for b, (dw, db) in zip(self.blocks, conv_grads)]
        grads += [(dw, db) for dw, db in head_grads]
        return float(total), np.concatenate(parts), grads
