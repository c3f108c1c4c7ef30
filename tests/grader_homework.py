"""Homework sources for the grader's tests, written in the course's NumPy style.

``course_file(**changes)`` returns the text of a homework file with the course's two classes,
right unless a change plants a mistake or a trick.  Placeholders:

    {top}        statements at the top of the file (imports, tricks at load time)
    {conv_body}  statements in the conv class body
    {forward}    statements at the start of the conv forward
    {backprop}   statements at the start of the conv backprop
    {result}     the conv forward's return expression (default: right)
    {grads}      the conv backprop's return expression (default: right)
    {pool_grad}  the max-pool's routing of dLdy (default: the first maximum)
"""

TEMPLATE = '''
import numpy as np
from skimage.util.shape import view_as_windows
{top}

class nn_convolutional_layer:
{conv_body}
    def __init__(self, filter_width, filter_height, input_size, in_ch_size, num_filters, std=1e0):
        self.W = np.random.normal(0, std / np.sqrt(in_ch_size * filter_width * filter_height / 2),
                                  (num_filters, in_ch_size, filter_width, filter_height))
        self.b = 0.01 + np.zeros((1, num_filters, 1, 1))

    def update_weights(self, dW, db):
        self.W += dW
        self.b += db

    def get_weights(self):
        return self.W, self.b

    def set_weights(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
{forward}
        F, C, kh, kw = self.W.shape
        win = view_as_windows(x, (1, C, kh, kw))[:, 0, :, :, 0]        # N, OH, OW, C, kh, kw
        out = np.tensordot(win, self.W, axes=([3, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
        return {result}

    def backprop(self, x, dLdy):
{backprop}
        F, C, kh, kw = self.W.shape
        win = view_as_windows(x, (1, C, kh, kw))[:, 0, :, :, 0]
        dLdW = np.tensordot(dLdy, win, axes=([0, 2, 3], [0, 1, 2]))
        dLdb = dLdy.sum(axis=(0, 2, 3)).reshape(self.b.shape)
        padded = np.pad(dLdy, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
        pwin = view_as_windows(padded, (1, F, kh, kw))[:, 0, :, :, 0]
        dLdx = np.tensordot(pwin, self.W[:, :, ::-1, ::-1], axes=([3, 4, 5], [0, 2, 3]))
        dLdx = dLdx.transpose(0, 3, 1, 2)
        return {grads}


class nn_maxpool_layer:
    def __init__(self, pool_size, stride):
        self.pool_size = pool_size
        self.stride = stride

    def forward(self, x):
        p, s = self.pool_size, self.stride
        return view_as_windows(x, (1, 1, p, p), step=(1, 1, s, s)).max(axis=(4, 5, 6, 7))

    def backprop(self, x, dLdy):
        p, s = self.pool_size, self.stride
        N, C = x.shape[:2]
        dLdx = np.zeros(x.shape)
        n, c = np.indices((N, C))
        for i in range(dLdy.shape[2]):
            for j in range(dLdy.shape[3]):
                window = x[:, :, i * s:i * s + p, j * s:j * s + p].reshape(N, C, -1)
{pool_grad}
                dLdx[n, c, i * s + a, j * s + b] += dLdy[:, :, i, j]
        return dLdx


# the course's test loop: a grader must never run it
print("the module-level test loop ran")
raise SystemExit(3)
'''

DEFAULTS = {
    "top": "",
    "conv_body": "",
    "forward": "",
    "backprop": "",
    "result": "out + self.b",
    "grads": "dLdx, dLdW, dLdb",
    "pool_grad": "                a, b = np.unravel_index(window.argmax(axis=2), (p, p))",
}

# planted max-pool mistakes
POOL_BOTTOM_RIGHT = "                a, b = np.full((N, C), p - 1), np.full((N, C), p - 1)"
POOL_EVERY_TIE = '''                hits = window == window.max(axis=2, keepdims=True)
                for k in range(p * p):
                    a, b = divmod(k, p)
                    dLdx[n, c, i * s + a, j * s + b] += hits[:, :, k] * dLdy[:, :, i, j]
                a, b = np.zeros((N, C), int), np.zeros((N, C), int)
                dLdy = dLdy.copy(); dLdy[:, :, i, j] = 0'''


def course_file(**changes):
    """The text of a course-style homework file; see the module docstring."""
    unknown = set(changes) - set(DEFAULTS)
    if unknown:
        raise KeyError(f"unknown placeholders {unknown}")
    values = dict(DEFAULTS, **changes)
    for key in ("conv_body", "forward", "backprop"):
        lines = values[key].strip("\n").splitlines() or ["pass"]
        indent = "    " if key == "conv_body" else "        "
        values[key] = "\n".join(indent + line for line in lines)
    return TEMPLATE.format(**values)
