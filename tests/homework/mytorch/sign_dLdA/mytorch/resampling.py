import numpy as np


class Upsample1d():

    def __init__(self, upsampling_factor):
        self.upsampling_factor = upsampling_factor

    def forward(self, A):
        """
        Argument:
            A (np.array): (batch_size, in_channels, input_width)
        Return:
            Z (np.array): (batch_size, in_channels, output_width)
        """
        k = self.upsampling_factor
        batch_size, in_channels, input_width = A.shape
        output_width = k * (input_width - 1) + 1
        Z = np.zeros((batch_size, in_channels, output_width))
        Z[:, :, ::k] = A
        return Z

    def backward(self, dLdZ):
        dLdA = dLdZ[:, :, ::self.upsampling_factor]
        return dLdA


class Downsample1d():

    def __init__(self, downsampling_factor):
        self.downsampling_factor = downsampling_factor

    def forward(self, A):
        self.input_width = A.shape[2]
        Z = A[:, :, ::self.downsampling_factor]
        return Z

    def backward(self, dLdZ):
        batch_size, in_channels, _ = dLdZ.shape
        dLdA = np.zeros((batch_size, in_channels, self.input_width))
        dLdA[:, :, ::self.downsampling_factor] = dLdZ
        return dLdA


class Upsample2d():

    def __init__(self, upsampling_factor):
        self.upsampling_factor = upsampling_factor

    def forward(self, A):
        k = self.upsampling_factor
        batch_size, in_channels, input_height, input_width = A.shape
        Z = np.zeros((batch_size, in_channels, k * (input_height - 1) + 1, k * (input_width - 1) + 1))
        Z[:, :, ::k, ::k] = A
        return Z

    def backward(self, dLdZ):
        k = self.upsampling_factor
        dLdA = dLdZ[:, :, ::k, ::k]
        return dLdA


class Downsample2d():

    def __init__(self, downsampling_factor):
        self.downsampling_factor = downsampling_factor

    def forward(self, A):
        k = self.downsampling_factor
        self.input_height, self.input_width = A.shape[2], A.shape[3]
        Z = A[:, :, ::k, ::k]
        return Z

    def backward(self, dLdZ):
        k = self.downsampling_factor
        batch_size, in_channels = dLdZ.shape[:2]
        dLdA = np.zeros((batch_size, in_channels, self.input_height, self.input_width))
        dLdA[:, :, ::k, ::k] = dLdZ
        return dLdA
