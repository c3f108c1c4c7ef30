# coding: utf-8
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
