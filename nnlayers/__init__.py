"""nnlayers: exact, vectorized NumPy layers for the convolutional networks of deep-learning courses."""

__version__ = "0.1.0"   # the version in pyproject.toml (tests/test_version.py compares them)

from ._memory import get_memory_limit, memory_limit, set_memory_limit
from .activations import nn_relu_layer, nn_sigmoid_layer, nn_tanh_layer
from .batchnorm import nn_batchnorm_layer
from .conv1d import nn_conv1d_layer
from ._geometry import conv_output_size
from .conv4d import conv4d, conv4d_grad_input, conv4d_grad_weight
from .convolution import nn_convolutional_layer
from .dropout import nn_dropout_layer
from .flatten import nn_flatten_layer
from .global_pool import nn_global_pool_layer
from .im2col import col2im, im2col
from .linear import nn_linear_layer
from .loss import nn_cross_entropy_loss
from .maxpool import nn_max_pooling_layer, nn_maxpool_layer
from .meanpool import nn_meanpool_layer
from .model import TrainStep, nn_sequential_model
from .optim import nn_adam_optimizer, nn_sgd_optimizer
from .resample import nn_downsample_layer, nn_upsample_layer
from .residual import nn_residual_block
from .softmax import nn_softmax_layer
from .transposed_conv import nn_transposed_conv_layer
from .transposed_conv1d import nn_transposed_conv1d_layer

__all__ = [
    "TrainStep",
    "col2im",
    "conv4d",
    "conv4d_grad_input",
    "conv4d_grad_weight",
    "conv_output_size",
    "get_memory_limit",
    "im2col",
    "memory_limit",
    "nn_batchnorm_layer",
    "nn_conv1d_layer",
    "nn_convolutional_layer",
    "nn_cross_entropy_loss",
    "nn_downsample_layer",
    "nn_dropout_layer",
    "nn_flatten_layer",
    "nn_global_pool_layer",
    "nn_linear_layer",
    "nn_max_pooling_layer",
    "nn_maxpool_layer",
    "nn_meanpool_layer",
    "nn_adam_optimizer",
    "nn_relu_layer",
    "nn_residual_block",
    "nn_sequential_model",
    "nn_sgd_optimizer",
    "nn_sigmoid_layer",
    "nn_softmax_layer",
    "nn_tanh_layer",
    "nn_transposed_conv1d_layer",
    "nn_transposed_conv_layer",
    "nn_upsample_layer",
    "set_memory_limit",
]
