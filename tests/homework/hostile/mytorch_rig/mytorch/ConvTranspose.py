import numpy as np
from resampling import *
from Conv1d import *
from Conv2d import *


class ConvTranspose1d():
    def __init__(self, in_channels, out_channels, kernel_size, upsampling_factor,
                 weight_init_fn=None, bias_init_fn=None):
        # Do not modify this method
        self.upsampling_factor = upsampling_factor

        # Initialize Conv1d stride 1 and upsample1d isntance
        self.upsample1d = None  # TODO
        self.conv1d_stride1 = None  # TODO

    def forward(self, A):
        # upsample
        Z = None  # TODO

        return Z

    def backward(self, dLdZ):
        # Call backward in the correct order
        dLdA = None  # TODO

        return dLdA


class ConvTranspose2d():
    def __init__(self, in_channels, out_channels, kernel_size, upsampling_factor,
                 weight_init_fn=None, bias_init_fn=None):
        # Do not modify this method
        self.upsampling_factor = upsampling_factor

        # Initialize Conv2d() isntance
        self.conv2d_stride1 = None  # TODO
        self.upsample2d = None  # TODO

    def forward(self, A):
        # upsample
        Z = None  # TODO

        return Z

    def backward(self, dLdZ):
        # Call backward in correct order
        dLdA = None  # TODO

        return dLdA
