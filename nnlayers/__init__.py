"""nnlayers: exact, vectorized NumPy layers for the convolutional networks of deep-learning courses."""

from ._memory import get_memory_limit, memory_limit, set_memory_limit
from .conv4d import conv4d, conv4d_grad_input, conv4d_grad_weight, conv_output_size
from .convolution import nn_convolutional_layer
from .maxpool import nn_maxpool_layer

__all__ = [
    "conv4d",
    "conv4d_grad_input",
    "conv4d_grad_weight",
    "conv_output_size",
    "get_memory_limit",
    "memory_limit",
    "set_memory_limit",
    "nn_convolutional_layer",
    "nn_maxpool_layer",
]
