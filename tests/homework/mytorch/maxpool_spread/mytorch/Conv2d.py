import numpy as np
from resampling import *


class Conv2d_stride1():
    def __init__(self, in_channels, out_channels,
                 kernel_size, weight_init_fn=None, bias_init_fn=None):

        # Do not modify this method
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size

        if weight_init_fn is None:
            self.W = np.random.normal(0, 1.0, (out_channels, in_channels, kernel_size, kernel_size))
        else:
            self.W = weight_init_fn(out_channels, in_channels, kernel_size, kernel_size)

        if bias_init_fn is None:
            self.b = np.zeros(out_channels)
        else:
            self.b = bias_init_fn(out_channels)

        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)

    def forward(self, A):
        """
        Argument:
            A (np.array): (batch_size, in_channels, input_height, input_width)
        Return:
            Z (np.array): (batch_size, out_channels, output_height, output_width)
        """
        self.A = A
        k = self.kernel_size
        batch_size, in_channels, input_height, input_width = A.shape
        output_height = input_height - k + 1
        output_width = input_width - k + 1
        Z = np.zeros((batch_size, self.out_channels, output_height, output_width))
        for i in range(output_height):
            for j in range(output_width):
                Z[:, :, i, j] = np.tensordot(A[:, :, i:i + k, j:j + k], self.W, axes=([1, 2, 3], [1, 2, 3]))
        Z += self.b.reshape(1, -1, 1, 1)
        return Z

    def backward(self, dLdZ):
        """
        Argument:
            dLdZ (np.array): (batch_size, out_channels, output_height, output_width)
        Return:
            dLdA (np.array): (batch_size, in_channels, input_height, input_width)
        """
        k = self.kernel_size
        output_height, output_width = dLdZ.shape[2], dLdZ.shape[3]
        for i in range(k):
            for j in range(k):
                window = self.A[:, :, i:i + output_height, j:j + output_width]
                self.dLdW[:, :, i, j] = np.tensordot(dLdZ, window, axes=([0, 2, 3], [0, 2, 3]))
        self.dLdb = np.sum(dLdZ, axis=(0, 2, 3))

        dLdZ_pad = np.pad(dLdZ, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
        W_flip = self.W[:, :, ::-1, ::-1]
        dLdA = np.zeros(self.A.shape)
        for i in range(self.A.shape[2]):
            for j in range(self.A.shape[3]):
                dLdA[:, :, i, j] = np.tensordot(dLdZ_pad[:, :, i:i + k, j:j + k], W_flip,
                                                axes=([1, 2, 3], [0, 2, 3]))
        return dLdA


class Conv2d():
    def __init__(self, in_channels, out_channels, kernel_size, stride,
                 weight_init_fn=None, bias_init_fn=None):
        # Do not modify the variable names
        self.stride = stride

        # Initialize Conv2d() and Downsample2d() isntance
        self.conv2d_stride1 = Conv2d_stride1(in_channels, out_channels, kernel_size,
                                             weight_init_fn, bias_init_fn)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A):
        Z = self.conv2d_stride1.forward(A)
        Z = self.downsample2d.forward(Z)
        return Z

    def backward(self, dLdZ):
        dLdZ = self.downsample2d.backward(dLdZ)
        dLdA = self.conv2d_stride1.backward(dLdZ)
        return dLdA
