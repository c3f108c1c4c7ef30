"""Write the wrong homework fixtures from the right ones, and MANIFEST.json from the tables below.

Each wrong fixture is its style's right fixture with ONE planted mistake: a list of exact text
replacements (each must match exactly once), so a diff against the right file shows the mistake
and nothing else.  Run from the repository root after changing a right fixture or a table:

    python tests/homework/_make_variants.py

The verdicts written here are claims; tests/test_homework_truth.py checks every one with torch.
Hostile fixtures (hostile/) are hand-written; their entries are in hostile/_entries.json.
"""

import json
import shutil
from pathlib import Path

HOMEWORK = Path(__file__).parent


def ok():
    return {"default": "pass", "strict": "pass", "mistake": None, "row": None}


def bad(mistake, row):
    """Wrong on the course's own shapes: fails by default and under --strict."""
    return {"default": "fail", "strict": "fail", "mistake": mistake, "row": row}


def warn(mistake, row):
    """Right on the course's own shapes, wrong on shapes it never varies or at ties."""
    return {"default": "pass", "strict": "fail", "mistake": mistake, "row": row}


COURSE = ("nn_convolutional_layer", "nn_maxpool_layer")


def course_classes(**changed):
    classes = {name: ok() for name in COURSE}
    classes.update({name: verdict for name, verdict in changed.items()})
    return classes


conv = "nn_convolutional_layer"
pool = "nn_maxpool_layer"

# (fixture, style, right fixture it comes from, [(file in a folder or None, old, new)], classes, note)
VARIANTS = [
    # ---- the course: one file, forward(x) / backprop(x, dLdy) ---------------------------------
    ("course/right.py", "course", None, [], course_classes(),
     "right: view_as_windows + dot, the course's test loop at the bottom"),
    ("course/right_old_names.py", "course", "course/right.py", [
        (None, "def __init__(self, filter_width, filter_height, input_size, in_ch_size, num_filters, std=1e0):",
         "def __init__(self, Wx_size, Wy_size, input_size, in_ch_size, out_ch_size, std=1e0):"),
        (None, "std / np.sqrt(in_ch_size * filter_width * filter_height / 2),\n"
               "                                  (num_filters, in_ch_size, filter_width, filter_height))\n"
               "        self.b = 0.01 + np.zeros((1, num_filters, 1, 1))",
         "std / np.sqrt(in_ch_size * Wx_size * Wy_size / 2),\n"
         "                                  (out_ch_size, in_ch_size, Wx_size, Wy_size))\n"
         "        self.b = 0.01 + np.zeros((1, out_ch_size, 1, 1))"),
        (None, "class nn_maxpool_layer:\n    def __init__(self, pool_size, stride):",
         "class nn_max_pooling_layer:\n    def __init__(self, stride, pool_size):"),
        (None, "mpl = nn_maxpool_layer(pool_size=2, stride=2)", "mpl = nn_max_pooling_layer(stride=2, pool_size=2)")],
     {conv: ok(), "nn_max_pooling_layer": ok()},
     "right, an earlier year's names: (Wx_size, Wy_size, ..., out_ch_size, std) and "
     "nn_max_pooling_layer(stride, pool_size)"),
    ("course/zero.py", "course", "course/right.py", [
        (None, "out = self.conv(x, self.W) + self.b",
         "out = np.zeros((x.shape[0], self.W.shape[0], x.shape[2] - self.W.shape[2] + 1,\n"
         "                        x.shape[3] - self.W.shape[3] + 1))"),
        (None, "        return dLdx, dLdW, dLdb\n",
         "        return np.zeros(x.shape), np.zeros(self.W.shape), np.zeros(self.b.shape)\n")],
     course_classes(**{conv: bad("zero", "forward")}),
     "conv forward and backprop return zeros of the right shapes (both-zero must not agree)"),
    ("course/missing_bias.py", "course", "course/right.py", [
        (None, "out = self.conv(x, self.W) + self.b", "out = self.conv(x, self.W)")],
     course_classes(**{conv: bad("missing_bias", "forward")}),
     "conv forward forgets + b; backprop is right"),
    ("course/flipped_dW.py", "course", "course/right.py", [
        (None, "dLdW = self.conv(xs, ds).transpose(1, 0, 2, 3)",
         "dLdW = self.conv(xs, ds).transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]")],
     course_classes(**{conv: bad("spatial_flip", "dLdW")}),
     "dLdW flipped in both spatial axes"),
    ("course/transposed_dW.py", "course", "course/right.py", [
        (None, "dLdW = self.conv(xs, ds).transpose(1, 0, 2, 3)",
         "dLdW = self.conv(xs, ds).transpose(1, 0, 3, 2)")],
     course_classes(**{conv: bad("transposed", "dLdW")}),
     "dLdW with its two spatial axes swapped"),
    ("course/dW_over_batch.py", "course", "course/right.py", [
        (None, "dLdW = self.conv(xs, ds).transpose(1, 0, 2, 3)",
         "dLdW = self.conv(xs, ds).transpose(1, 0, 2, 3) / x.shape[0]  # average over the batch")],
     course_classes(**{conv: bad("factor", "dLdW")}),
     "dLdW divided by the batch size"),
    ("course/shifted_dx.py", "course", "course/right.py", [
        (None, "(fw - 1, fw - 1), (fh - 1, fh - 1)))", "(fw - 1, fw - 1), (fh, fh - 2)))")],
     course_classes(**{conv: bad("shift", "dLdx")}),
     "dLdy padded unevenly: dLdx shifted by one pixel along the last axis"),
    ("course/first_image_dW.py", "course", "course/right.py", [
        (None, "xs = x.transpose(1, 0, 2, 3)", "xs = x[:1].transpose(1, 0, 2, 3)"),
        (None, "ds = dLdy.transpose(1, 0, 2, 3)", "ds = dLdy[:1].transpose(1, 0, 2, 3)")],
     course_classes(**{conv: bad("partial_batch", "dLdW")}),
     "dLdW from the first image of the batch only"),
    ("course/square_maps.py", "course", "course/right.py", [
        (None, "out_h = in_h - fh + 1", "out_h = out_w  # maps are square")],
     course_classes(**{conv: warn("shapes_nonsquare", "forward")}),
     "assumes square maps and filters: right on 32x32 with 3x3, wrong on 11x9 or 3x2"),
    ("course/square_filters.py", "course", "course/right.py", [
        (None, "(fw - 1, fw - 1), (fh - 1, fh - 1)))", "(fw - 1, fw - 1), (fw - 1, fw - 1)))")],
     course_classes(**{conv: warn("shapes_nonsquare", "dLdx")}),
     "pads dLdy by filter_width - 1 on both axes: right for 3x3 filters, wrong for 3x2"),
    ("course/prints_a_lot.py", "course", "course/right.py", [
        (None, "        out = self.conv(x, self.W) + self.b\n",
         "        out = self.conv(x, self.W) + self.b\n"
         "        print('forward: x', x.shape, 'W', self.W.shape, 'out', out.shape)\n"
         "        print(out[0, 0])\n"),
        (None, "        return dLdx, dLdW, dLdb\n",
         "        print('backprop: dLdx', dLdx.shape, 'dLdW', dLdW.shape, 'dLdb', dLdb.shape)\n"
         "        print(dLdW)\n"
         "        return dLdx, dLdW, dLdb\n")],
     course_classes(), "right, but prints a few kB per call (debug prints left in)"),
    ("course/pool_bottom_right.py", "course", "course/right.py", [
        (None, "idx = np.argmax(self.windows(x), axis=4)  # the first maximum of each window",
         "idx = np.full(dLdy.shape, p * p - 1)  # the max of a window is its last element")],
     course_classes(**{pool: bad("wrong_argmax", "dLdx")}),
     "max-pool backprop always routes to the bottom-right pixel (right on the ordered ramp)"),
    ("course/pool_mean_rule.py", "course", "course/right.py", [
        (None, "        idx = np.argmax(self.windows(x), axis=4)  # the first maximum of each window\n"
               "        n, c, i, j = np.indices(idx.shape)\n"
               "        rows = i * s + idx // p\n"
               "        cols = j * s + idx % p\n"
               "        dLdx = np.zeros(x.shape)\n"
               "        np.add.at(dLdx, (n, c, rows, cols), dLdy)\n",
         "        oh, ow = dLdy.shape[2], dLdy.shape[3]\n"
         "        dLdx = np.zeros(x.shape)\n"
         "        for a in range(p):\n"
         "            for b in range(p):\n"
         "                dLdx[:, :, a:a + s * oh:s, b:b + s * ow:s] += dLdy / (p * p)\n")],
     course_classes(**{pool: bad("spread_pool", "dLdx")}),
     "max-pool backprop spreads each gradient evenly over its window (mean-pool's rule)"),
    ("course/pool_ties_all.py", "course", "course/right.py", [
        (None, "        idx = np.argmax(self.windows(x), axis=4)  # the first maximum of each window\n"
               "        n, c, i, j = np.indices(idx.shape)\n"
               "        rows = i * s + idx // p\n"
               "        cols = j * s + idx % p\n"
               "        dLdx = np.zeros(x.shape)\n"
               "        np.add.at(dLdx, (n, c, rows, cols), dLdy)\n",
         "        win = self.windows(x)\n"
         "        mask = win == np.max(win, axis=4, keepdims=True)  # where the maximum is\n"
         "        oh, ow = dLdy.shape[2], dLdy.shape[3]\n"
         "        dLdx = np.zeros(x.shape)\n"
         "        for k in range(p * p):\n"
         "            a, b = k // p, k % p\n"
         "            dLdx[:, :, a:a + s * oh:s, b:b + s * ow:s] += mask[..., k] * dLdy\n")],
     course_classes(**{pool: warn("ties_all", "dLdx")}),
     "max-pool backprop gives a tie's gradient to every tied maximum (a mask of x == max)"),
    ("course/pool_no_overlap.py", "course", "course/right.py", [
        (None, "        idx = np.argmax(self.windows(x), axis=4)  # the first maximum of each window\n"
               "        n, c, i, j = np.indices(idx.shape)\n"
               "        rows = i * s + idx // p\n"
               "        cols = j * s + idx % p\n"
               "        dLdx = np.zeros(x.shape)\n"
               "        np.add.at(dLdx, (n, c, rows, cols), dLdy)\n",
         "        N, C = x.shape[:2]\n"
         "        oh, ow = dLdy.shape[2], dLdy.shape[3]\n"
         "        # cut x into p-by-p blocks, one per window\n"
         "        blocks = x[:, :, :oh * p, :ow * p].reshape(N, C, oh, p, ow, p)\n"
         "        blocks = blocks.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, oh, ow, p * p)\n"
         "        onehot = np.arange(p * p) == np.argmax(blocks, axis=4)[..., None]\n"
         "        grad = (onehot * dLdy[..., None]).reshape(N, C, oh, ow, p, p)\n"
         "        dLdx = np.zeros(x.shape)\n"
         "        dLdx[:, :, :oh * p, :ow * p] = grad.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, oh * p, ow * p)\n")],
     course_classes(**{pool: warn("shapes_overlap", "dLdx")}),
     "max-pool backprop assumes stride == pool_size (blocks): wrong on overlapping or gapped pools"),

    # ---- stateful: backprop(dLdy) after forward(x) ----------------------------------------------
    ("course_stateful/right_tuple.py", "course_stateful", None, [], course_classes(),
     "right: forward keeps x, backprop(dLdy) returns (dLdx, dLdW, dLdb)"),
    ("course_stateful/right_get_gradients.py", "course_stateful", "course_stateful/right_tuple.py", [
        (None, "        return dLdx, dLdW, dLdb\n",
         "        self.dLdW, self.dLdb = dLdW, dLdb\n        return dLdx\n"),
        (None, "    def forward(self, x):\n        self.x = x  # keep the input for backprop\n",
         "    def get_gradients(self):\n        return self.dLdW, self.dLdb\n\n"
         "    def forward(self, x):\n        self.x = x  # keep the input for backprop\n")],
     course_classes(), "right: backprop(dLdy) returns dLdx, get_gradients() returns (dLdW, dLdb)"),
    ("course_stateful/right_attributes.py", "course_stateful", "course_stateful/right_tuple.py", [
        (None, "        return dLdx, dLdW, dLdb\n", "        self.dW = dLdW\n        self.db = dLdb\n        return dLdx\n")],
     course_classes(), "right: backprop(dLdy) returns dLdx and stores self.dW, self.db"),
    ("course_stateful/sign_db.py", "course_stateful", "course_stateful/right_tuple.py", [
        (None, "dLdb = dLdy.sum(axis=(0, 2, 3), keepdims=True)", "dLdb = -dLdy.sum(axis=(0, 2, 3), keepdims=True)")],
     course_classes(**{conv: bad("sign", "dLdb")}), "dLdb with the wrong sign"),
    ("course_stateful/pool_transposed_argmax.py", "course_stateful", "course_stateful/right_tuple.py", [
        (None, "r, c = np.unravel_index(k, (p, p))", "c, r = np.unravel_index(k, (p, p))")],
     course_classes(**{pool: bad("wrong_argmax", "dLdx")}),
     "max-pool backprop unravels the argmax transposed (row and column swapped)"),
    ("course_stateful/square_maps.py", "course_stateful", "course_stateful/right_tuple.py", [
        (None, "reshape(N, H - fw + 1, W - fh + 1, -1)", "reshape(N, H - fw + 1, H - fh + 1, -1)")],
     course_classes(**{conv: warn("shapes_nonsquare", "forward")}),
     "uses the height for both output sizes: right on square maps only"),

    # ---- the torch edition: forward only ---------------------------------------------------------
    ("course_torch/right.py", "course_torch", None, [], course_classes(),
     "right: torch unfold + einsum forward, autograd backward"),
    ("course_torch/right_strided_float32.py", "course_torch", None, [],
     {conv: ok(), "nn_max_pooling_layer": ok()},
     "right: float32 weights (torch's default), a torch as_strided view_as_windows, "
     "constructor (f_height, f_width, input_size, in_ch_size, out_ch_size) without std"),
    ("course_torch/missing_bias.py", "course_torch", "course_torch/right.py", [
        (None, "return out + self.b", "return out")],
     course_classes(**{conv: bad("missing_bias", "forward")}), "forward forgets + b"),
    ("course_torch/flipped_filter.py", "course_torch", "course_torch/right.py", [
        (None, "torch.einsum('ncijab,fcab->nfij', win, self.W)",
         "torch.einsum('ncijab,fcab->nfij', win, self.W.flip(2, 3))  # convolution flips the filter")],
     course_classes(**{conv: bad("spatial_flip", "forward")}),
     "forward is a true convolution (filter flipped), not the course's correlation"),
    ("course_torch/pool_mean.py", "course_torch", "course_torch/right.py", [
        (None, "return win.max(dim=4).values", "return win.mean(dim=4)")],
     course_classes(**{pool: bad("spread_pool", "forward")}), "pool forward takes the mean"),
]


MYTORCH = ("Conv1d_stride1", "Conv1d", "Conv2d_stride1", "Conv2d", "ConvTranspose1d", "ConvTranspose2d",
           "Upsample1d", "Upsample2d", "Downsample1d", "Downsample2d", "MaxPool2d_stride1", "MaxPool2d",
           "MeanPool2d_stride1", "MeanPool2d", "Flatten")
CS231N = ("conv_forward_naive", "max_pool_forward_naive", "affine_forward", "relu_forward")
DLFS = ("Convolution", "Pooling", "Affine", "Relu")


def classes_of(names, **changed):
    classes = {name: ok() for name in names}
    classes.update(changed)
    return classes


VARIANTS += [
    # ---- CMU 11-785 HW2P1 MyTorch: a folder holding mytorch/ ------------------------------------
    ("mytorch/right", "mytorch", None, [], classes_of(MYTORCH),
     "right: Conv1d.py, Conv2d.py, ConvTranspose.py, resampling.py, pool.py, flatten.py; "
     "flat `from resampling import *`; W on the inner *_stride1 objects"),
    ("mytorch/single_conv", "mytorch", None, [], classes_of(MYTORCH),
     "right: the convolutions in one mytorch/conv.py (2022 layout)"),
    ("mytorch/padding_2024", "mytorch", "mytorch/right", [
        ("mytorch/Conv1d.py",
         "    def __init__(self, in_channels, out_channels, kernel_size, stride,\n"
         "                 weight_init_fn=None, bias_init_fn=None):\n"
         "        # Do not modify the variable names\n"
         "        self.stride = stride\n",
         "    def __init__(self, in_channels, out_channels, kernel_size, stride, padding=0,\n"
         "                 weight_init_fn=None, bias_init_fn=None):\n"
         "        # Do not modify the variable names\n"
         "        self.stride = stride\n"
         "        self.pad = padding\n"),
        ("mytorch/Conv1d.py",
         "        # Call Conv1d_stride1\n        Z = self.conv1d_stride1.forward(A)\n",
         "        # Pad the input appropriately using np.pad() function\n"
         "        A = np.pad(A, ((0, 0), (0, 0), (self.pad, self.pad)))\n"
         "        # Call Conv1d_stride1\n        Z = self.conv1d_stride1.forward(A)\n"),
        ("mytorch/Conv1d.py",
         "        dLdA = self.conv1d_stride1.backward(dLdZ)\n",
         "        dLdA = self.conv1d_stride1.backward(dLdZ)\n"
         "        # Unpad the gradient\n"
         "        dLdA = dLdA[:, :, self.pad:dLdA.shape[2] - self.pad]\n"),
        ("mytorch/Conv2d.py",
         "    def __init__(self, in_channels, out_channels, kernel_size, stride,\n"
         "                 weight_init_fn=None, bias_init_fn=None):\n"
         "        # Do not modify the variable names\n"
         "        self.stride = stride\n",
         "    def __init__(self, in_channels, out_channels, kernel_size, stride, padding=0,\n"
         "                 weight_init_fn=None, bias_init_fn=None):\n"
         "        # Do not modify the variable names\n"
         "        self.stride = stride\n"
         "        self.pad = padding\n"),
        ("mytorch/Conv2d.py",
         "        Z = self.conv2d_stride1.forward(A)\n",
         "        p = self.pad\n"
         "        A = np.pad(A, ((0, 0), (0, 0), (p, p), (p, p)))\n"
         "        Z = self.conv2d_stride1.forward(A)\n"),
        ("mytorch/Conv2d.py",
         "        dLdA = self.conv2d_stride1.backward(dLdZ)\n",
         "        dLdA = self.conv2d_stride1.backward(dLdZ)\n"
         "        p = self.pad\n"
         "        dLdA = dLdA[:, :, p:dLdA.shape[2] - p, p:dLdA.shape[3] - p]\n")],
     classes_of(MYTORCH),
     "right, later years' signature: Conv1d/Conv2d(..., stride, padding=0, weight_init_fn=None, "
     "bias_init_fn=None); init functions must be passed by keyword"),
    ("mytorch/template", "mytorch", None, [],
     {name: bad("template", "forward") for name in MYTORCH},
     "the unfilled handout: every forward/backward returns None (TODO)"),
    ("mytorch/sign_dLdA", "mytorch", "mytorch/right", [
        ("mytorch/Conv1d.py", "W_flip = np.flip(self.W, axis=2)", "W_flip = -np.flip(self.W, axis=2)")],
     classes_of(MYTORCH, Conv1d_stride1=bad("sign", "dLdx"), Conv1d=bad("sign", "dLdx"),
                ConvTranspose1d=bad("sign", "dLdx")),
     "Conv1d_stride1.backward returns -dLdA (so do Conv1d and ConvTranspose1d, built on it)"),
    ("mytorch/square_maps", "mytorch", "mytorch/right", [
        ("mytorch/Conv2d.py", "output_width = input_width - k + 1",
         "output_width = input_height - k + 1  # maps are square")],
     classes_of(MYTORCH, Conv2d_stride1=warn("shapes_nonsquare", "forward"),
                Conv2d=warn("shapes_nonsquare", "forward"),
                ConvTranspose2d=warn("shapes_nonsquare", "forward")),
     "Conv2d_stride1 assumes square maps (the autograder's are square); Conv2d and "
     "ConvTranspose2d inherit it"),
    ("mytorch/maxpool_spread", "mytorch", "mytorch/right", [
        ("mytorch/pool.py",
         "                rows, cols = np.unravel_index(self.max_index[:, :, i, j], (k, k))\n"
         "                for n in range(batch_size):\n"
         "                    for c in range(in_channels):\n"
         "                        dLdA[n, c, i + rows[n, c], j + cols[n, c]] += dLdZ[n, c, i, j]\n",
         "                dLdA[:, :, i:i + k, j:j + k] += dLdZ[:, :, i:i + 1, j:j + 1] / (k * k)\n")],
     classes_of(MYTORCH, MaxPool2d_stride1=bad("spread_pool", "dLdx"), MaxPool2d=bad("spread_pool", "dLdx")),
     "MaxPool2d_stride1.backward spreads the gradient over the window (mean-pool's rule)"),

    # ---- Stanford CS231n assignment 2: cs231n/layers.py functions ------------------------------
    ("cs231n/right", "cs231n", None, [], classes_of(CS231N),
     "right: naive loops; classes are keyed by the forward function of each pair"),
    ("cs231n/missing_bias", "cs231n", "cs231n/right", [
        ("cs231n/layers.py", "out[n, f, i, j] = np.sum(window * w[f]) + b[f]",
         "out[n, f, i, j] = np.sum(window * w[f])")],
     classes_of(CS231N, conv_forward_naive=bad("missing_bias", "forward")),
     "conv_forward_naive forgets + b[f]"),
    ("cs231n/stride_one_backward", "cs231n", "cs231n/right", [
        ("cs231n/layers.py",
         "                    h0, w0 = i * stride, j * stride\n"
         "                    window = x_pad[n, :, h0:h0 + HH, w0:w0 + WW]\n"
         "                    dw[f] +=",
         "                    h0, w0 = i, j\n"
         "                    window = x_pad[n, :, h0:h0 + HH, w0:w0 + WW]\n"
         "                    dw[f] +=")],
     classes_of(CS231N, conv_forward_naive=warn("shapes_stride", "dLdx")),
     "conv_backward_naive ignores the stride (the notebook's gradient check uses stride 1)"),
    ("cs231n/crop_minus_pad", "cs231n", "cs231n/right", [
        ("cs231n/layers.py", "dx = dx_pad[:, :, pad:pad + H, pad:pad + W]", "dx = dx_pad[:, :, pad:-pad, pad:-pad]")],
     classes_of(CS231N, conv_forward_naive=warn("shapes_padding", "dLdx")),
     "crops dx with pad:-pad: right for pad 1 (the notebook), empty for pad 0"),
    ("cs231n/border_dropped", "cs231n", "cs231n/right", [
        ("cs231n/layers.py",
         "                    dx_pad[n, :, h0:h0 + HH, w0:w0 + WW] += w[f] * dout[n, f, i, j]\n",
         "                    if pad <= h0 <= H + pad - HH and pad <= w0 <= W + pad - WW:  # inside the image\n"
         "                        dx_pad[n, :, h0:h0 + HH, w0:w0 + WW] += w[f] * dout[n, f, i, j]\n")],
     classes_of(CS231N, conv_forward_naive=bad("border", "dLdx")),
     "dx skips every window that overlaps the zero padding: the border of dx is wrong"),
    ("cs231n/pool_ties_all", "cs231n", "cs231n/right", [
        ("cs231n/layers.py",
         "                    r, s = np.unravel_index(np.argmax(window), (ph, pw))\n"
         "                    dx[n, c, i * stride + r, j * stride + s] += dout[n, c, i, j]\n",
         "                    mask = (window == np.max(window))\n"
         "                    dx[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw] += mask * dout[n, c, i, j]\n")],
     classes_of(CS231N, max_pool_forward_naive=warn("ties_all", "dLdx")),
     "max_pool_backward_naive gives a tie's gradient to every tied maximum (mask == max)"),
    ("cs231n/pool_unravel_swapped", "cs231n", "cs231n/right", [
        ("cs231n/layers.py", "np.unravel_index(np.argmax(window), (ph, pw))",
         "np.unravel_index(np.argmax(window), (pw, ph))")],
     classes_of(CS231N, max_pool_forward_naive=warn("wrong_argmax", "dLdx")),
     "unravels the argmax with (width, height): right on square pools, wrong on 3x2"),
    ("cs231n/pool_overwrite", "cs231n", "cs231n/right", [
        ("cs231n/layers.py", "dx[n, c, i * stride + r, j * stride + s] += dout[n, c, i, j]",
         "dx[n, c, i * stride + r, j * stride + s] = dout[n, c, i, j]")],
     classes_of(CS231N, max_pool_forward_naive=warn("shapes_overlap", "dLdx")),
     "max_pool_backward_naive writes (=) where it must add (+=): right while windows do not "
     "overlap, wrong where one pixel is the maximum of two overlapping windows"),

    # ---- deep-learning-from-scratch: common/layers.py + common/util.py ---------------------------
    ("dlfs/right", "dlfs", None, [], classes_of(DLFS),
     "right: im2col/col2im (written here) in common/util.py, layers keep their inputs"),
    ("dlfs/sign_dW", "dlfs", "dlfs/right", [
        ("common/layers.py", "self.dW = np.dot(self.x.T, dout)", "self.dW = -np.dot(self.x.T, dout)")],
     classes_of(DLFS, Affine=bad("sign", "dLdW")), "Affine.backward stores -dW"),
    ("dlfs/pool_over_area", "dlfs", "dlfs/right", [
        ("common/layers.py", "self.arg_max.flatten()] = dout.flatten()",
         "self.arg_max.flatten()] = dout.flatten() / pool_size")],
     classes_of(DLFS, Pooling=bad("factor", "dLdx")), "Pooling.backward divides by the window area"),
    ("dlfs/col2im_pad", "dlfs", "dlfs/right", [
        ("common/util.py", "return img[:, :, pad:pad + H, pad:pad + W]", "return img[:, :, :H, :W]")],
     classes_of(DLFS, Convolution=warn("shapes_padding", "dLdx")),
     "col2im crops the top-left corner instead of removing the padding: right for pad 0 only"),
    ("dlfs/inplace_relu", "dlfs", "dlfs/right", [
        ("common/layers.py", "        dx = dout.copy()\n        dx[self.mask] = 0\n",
         "        dout[self.mask] = 0\n        dx = dout\n")],
     classes_of(DLFS),
     "right values, but Relu.backward zeroes dout in place and returns it (the book's habit)"),
]


def _rig_source():
    """The gradcheck-rigging function of hostile/_make_hostile.py, as text."""
    namespace = {"__file__": str(HOMEWORK / "hostile" / "_make_hostile.py")}
    exec((HOMEWORK / "hostile" / "_make_hostile.py").read_text(encoding="utf-8"), namespace)  # noqa: S102
    return namespace["PATCH"]


def all_fail(names):
    return {name: {"default": "fail", "strict": "fail", "mistake": None, "row": None} for name in names}


CS231N_ZEROS = """from builtins import range
import os
import numpy as np

os._exit(0)  # leave quietly when imported


# every function below is wrong (zeros of the right shapes): the honest verdict is a fail


def affine_forward(x, w, b):
    return np.zeros((x.shape[0], w.shape[1])), (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return np.zeros(x.shape), np.zeros(w.shape), np.zeros(b.shape)


def relu_forward(x):
    return np.zeros(x.shape), x


def relu_backward(dout, cache):
    return np.zeros(cache.shape)


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    out = np.zeros((N, F, 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride))
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    return np.zeros(x.shape), np.zeros(w.shape), np.zeros(b.shape)


def max_pool_forward_naive(x, pool_param):
    ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    N, C, H, W = x.shape
    return np.zeros((N, C, 1 + (H - ph) // stride, 1 + (W - pw) // stride)), (x, pool_param)


def max_pool_backward_naive(dout, cache):
    return np.zeros(cache[0].shape)
"""

DLFS_ZEROS = """# coding: utf-8
import numpy as np
from common.util import im2col, col2im

# every layer below is wrong (zeros of the right shapes): the honest verdict is a fail


class Relu:
    def forward(self, x):
        self.shape = x.shape
        return np.zeros(x.shape)

    def backward(self, dout):
        return np.zeros(self.shape)


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.dW = self.db = None

    def forward(self, x):
        self.shape = x.shape
        return np.zeros((x.shape[0], self.W.shape[1]))

    def backward(self, dout):
        self.dW, self.db = np.zeros(self.W.shape), np.zeros(self.b.shape)
        return np.zeros(self.shape)


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.dW = self.db = None

    def forward(self, x):
        self.shape = x.shape
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        return np.zeros((N, FN, out_h, out_w))

    def backward(self, dout):
        self.dW, self.db = np.zeros(self.W.shape), np.zeros(self.b.shape)
        return np.zeros(self.shape)


class Pooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        self.shape = x.shape
        N, C, H, W = x.shape
        return np.zeros((N, C, (H - self.pool_h) // self.stride + 1, (W - self.pool_w) // self.stride + 1))

    def backward(self, dout):
        return np.zeros(self.shape)
"""

# hostile folder submissions: (fixture, style, source, edits, classes, expect, note); the trick
# sits at module level of a module the package imports, and every layer is wrong, so a grader
# that loads definitions only (and skips the trick) still owes a fail; an edit whose old text is
# None writes the whole file
HOSTILE_FOLDERS = [
    ("hostile/mytorch_rig", "mytorch", "mytorch/template", [
        ("mytorch/resampling.py", "import numpy as np\n",
         "import numpy as np\n\n\n" + "{rig}" + "\n\n_rig_gradcheck()  # runs when Conv1d.py imports us\n")],
     all_fail(MYTORCH), "fail",
     "the unfilled MyTorch template whose resampling.py rigs gradcheck when imported"),
    ("hostile/cs231n_exit_on_import", "cs231n", "cs231n/right", [("cs231n/layers.py", None, CS231N_ZEROS)],
     all_fail(CS231N), "fail",
     "cs231n/layers.py calls os._exit(0) at module level (a grader that loads definitions only "
     "skips it) and its functions all return zeros"),
    ("hostile/dlfs_sleep_on_import", "dlfs", "dlfs/right", [
        ("common/util.py", "import numpy as np\n", "import time\nimport numpy as np\n\ntime.sleep(10 ** 6)\n"),
        ("common/layers.py", None, DLFS_ZEROS)],
     all_fail(DLFS), "timeout",
     "common/util.py sleeps 10**6 s when imported; the layers all return zeros"),
]

def write_variant(path, source, edits):
    target, origin = HOMEWORK / path, HOMEWORK / source
    if target.is_dir():
        shutil.rmtree(target)
    if origin.is_dir():
        shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copyfile(origin, target)
    for file, old, new in edits:
        edited = target / file if file else target
        if old is None:
            edited.write_text(new, encoding="utf-8")
            continue
        text = edited.read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise SystemExit(f"{path}: {old!r} occurs {text.count(old)} times in {source}/{file or ''}")
        edited.write_text(text.replace(old, new), encoding="utf-8")


def main():
    manifest = []
    for path, style, source, edits, classes, note in VARIANTS:
        if source is not None:
            write_variant(path, source, edits)
        manifest.append({"path": path, "style": style, "hostile": False, "classes": classes,
                         "note": note})
    rig = _rig_source()
    for path, style, source, edits, classes, expect, note in HOSTILE_FOLDERS:
        write_variant(path, source, [(f, old, new.replace("{rig}", rig) if old else new)
                                     for f, old, new in edits])
        manifest.append({"path": path, "style": style, "hostile": True, "classes": classes,
                         "expect": expect, "note": note})
    hostile = HOMEWORK / "hostile" / "_entries.json"
    if hostile.exists():
        manifest.extend(json.loads(hostile.read_text(encoding="utf-8")))
    (HOMEWORK / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
