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
        Z = None  # TODO

        return Z

    def backward(self, dLdZ):
        dLdA = None  # TODO

        return dLdA


class Downsample1d():

    def __init__(self, downsampling_factor):
        self.downsampling_factor = downsampling_factor

    def forward(self, A):
        Z = None  # TODO

        return Z

    def backward(self, dLdZ):
        dLdA = None  # TODO

        return dLdA


class Upsample2d():

    def __init__(self, upsampling_factor):
        self.upsampling_factor = upsampling_factor

    def forward(self, A):
        Z = None  # TODO

        return Z

    def backward(self, dLdZ):
        dLdA = None  # TODO

        return dLdA


class Downsample2d():

    def __init__(self, downsampling_factor):
        self.downsampling_factor = downsampling_factor

    def forward(self, A):
        Z = None  # TODO

        return Z

    def backward(self, dLdZ):
        dLdA = None  # TODO

        return dLdA
