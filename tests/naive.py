"""Naive loop oracles, written for the tests from the definitions, sharing no code with the kit.

Shapes: x (N, C, H, W), w (F, C, KH, KW), y and dy (N, F, OH, OW).
"""

import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _padded(x, p):
    ph, pw = p
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=np.float64)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    return xp


def conv_forward(x, w, stride=1, padding=0, dilation=1):
    """y[n,f,i,j] = sum_{c,a,b} xp[n,c,i*sh+a*dh, j*sw+b*dw] * w[f,c,a,b], one term at a time."""
    (sh, sw), p, (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    xp = _padded(x, p)
    n, c, hp, wp = xp.shape
    f, _, kh, kw = w.shape
    oh = (hp - dh * (kh - 1) - 1) // sh + 1
    ow = (wp - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, f, oh, ow))
    for b_ in range(n):
        for o in range(f):
            for i in range(oh):
                for j in range(ow):
                    total = 0.0
                    for ch in range(c):
                        for a in range(kh):
                            for b in range(kw):
                                total += xp[b_, ch, i * sh + a * dh, j * sw + b * dw] * w[o, ch, a, b]
                    y[b_, o, i, j] = total
    return y


def conv_backward(x, w, dy, stride=1, padding=0, dilation=1):
    """(dx, dw): scatter each output's gradient back along the terms that made it."""
    (sh, sw), (ph, pw), (dh, dw_) = _pair(stride), _pair(padding), _pair(dilation)
    xp = _padded(x, (ph, pw))
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    n, c = x.shape[:2]
    f, _, kh, kw = w.shape
    for b_ in range(n):
        for o in range(f):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    g = dy[b_, o, i, j]
                    for ch in range(c):
                        for a in range(kh):
                            for b in range(kw):
                                r, s = i * sh + a * dh, j * sw + b * dw_
                                dxp[b_, ch, r, s] += g * w[o, ch, a, b]
                                dw[o, ch, a, b] += g * xp[b_, ch, r, s]
    h, wd = x.shape[2:]
    return dxp[:, :, ph:ph + h, pw:pw + wd], dw


def maxpool_forward_backward(x, dy, pool, stride):
    """(y, dx) by scanning each window in row-major order; a value wins only if strictly larger."""
    (ph, pw), (sh, sw) = _pair(pool), _pair(stride)
    n, c, h, w = x.shape
    oh, ow = (h - ph) // sh + 1, (w - pw) // sw + 1
    y = np.zeros((n, c, oh, ow))
    dx = np.zeros(x.shape)
    for b_ in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    best, where = None, None
                    for a in range(ph):
                        for b in range(pw):
                            v = x[b_, ch, i * sh + a, j * sw + b]
                            if best is None or v > best:
                                best, where = v, (i * sh + a, j * sw + b)
                    y[b_, ch, i, j] = best
                    if dy is not None:
                        dx[b_, ch, where[0], where[1]] += dy[b_, ch, i, j]
    return y, dx


def relative_error(a, b):
    """max |a - b| / max |b|: the 'to 1e-12 relative' of the issues."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.max(np.abs(b), initial=0.0)
    diff = np.max(np.abs(a - b), initial=0.0)
    return float(diff / scale) if scale else float(diff)
