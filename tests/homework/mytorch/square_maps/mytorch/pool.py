import numpy as np
from resampling import *


class MaxPool2d_stride1():

    def __init__(self, kernel):
        self.kernel = kernel

    def forward(self, A):
        """
        Argument:
            A (np.array): (batch_size, in_channels, input_width, input_height)
        Return:
            Z (np.array): (batch_size, out_channels, output_width, output_height)
        """
        self.A = A
        k = self.kernel
        batch_size, in_channels, input_width, input_height = A.shape
        output_width = input_width - k + 1
        output_height = input_height - k + 1
        Z = np.zeros((batch_size, in_channels, output_width, output_height))
        self.max_index = np.zeros(Z.shape, dtype=int)
        for i in range(output_width):
            for j in range(output_height):
                window = A[:, :, i:i + k, j:j + k].reshape(batch_size, in_channels, -1)
                self.max_index[:, :, i, j] = np.argmax(window, axis=2)
                Z[:, :, i, j] = np.max(window, axis=2)
        return Z

    def backward(self, dLdZ):
        """
        Argument:
            dLdZ (np.array): (batch_size, out_channels, output_width, output_height)
        Return:
            dLdA (np.array): (batch_size, in_channels, input_width, input_height)
        """
        k = self.kernel
        batch_size, in_channels, output_width, output_height = dLdZ.shape
        dLdA = np.zeros(self.A.shape)
        for i in range(output_width):
            for j in range(output_height):
                rows, cols = np.unravel_index(self.max_index[:, :, i, j], (k, k))
                for n in range(batch_size):
                    for c in range(in_channels):
                        dLdA[n, c, i + rows[n, c], j + cols[n, c]] += dLdZ[n, c, i, j]
        return dLdA


class MeanPool2d_stride1():

    def __init__(self, kernel):
        self.kernel = kernel

    def forward(self, A):
        self.A = A
        k = self.kernel
        batch_size, in_channels, input_width, input_height = A.shape
        Z = np.zeros((batch_size, in_channels, input_width - k + 1, input_height - k + 1))
        for i in range(Z.shape[2]):
            for j in range(Z.shape[3]):
                Z[:, :, i, j] = np.mean(A[:, :, i:i + k, j:j + k], axis=(2, 3))
        return Z

    def backward(self, dLdZ):
        k = self.kernel
        dLdA = np.zeros(self.A.shape)
        for i in range(dLdZ.shape[2]):
            for j in range(dLdZ.shape[3]):
                dLdA[:, :, i:i + k, j:j + k] += dLdZ[:, :, i:i + 1, j:j + 1] / (k * k)
        return dLdA


class MaxPool2d():

    def __init__(self, kernel, stride):
        self.kernel = kernel
        self.stride = stride

        # Create an instance of MaxPool2d_stride1
        self.maxpool2d_stride1 = MaxPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A):
        Z = self.maxpool2d_stride1.forward(A)
        Z = self.downsample2d.forward(Z)
        return Z

    def backward(self, dLdZ):
        dLdZ = self.downsample2d.backward(dLdZ)
        dLdA = self.maxpool2d_stride1.backward(dLdZ)
        return dLdA


class MeanPool2d():

    def __init__(self, kernel, stride):
        self.kernel = kernel
        self.stride = stride

        # Create an instance of MeanPool2d_stride1
        self.meanpool2d_stride1 = MeanPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A):
        Z = self.meanpool2d_stride1.forward(A)
        Z = self.downsample2d.forward(Z)
        return Z

    def backward(self, dLdZ):
        dLdZ = self.downsample2d.backward(dLdZ)
        dLdA = self.meanpool2d_stride1.backward(dLdZ)
        return dLdA
