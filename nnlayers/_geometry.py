"""Sliding-window geometry: the one place for the output-size formula of the whole kit.

Along one spatial axis of ``size`` input positions, a window of ``kernel`` taps with
``dilation`` d spans ``d*(kernel-1) + 1`` positions; it starts at 0, stride, 2*stride, ...
inside the input zero-padded by ``padding`` on both sides, so there are

    out = (size + 2*padding - dilation*(kernel - 1) - 1) // stride + 1

window positions.  The ``(size + 2*padding - span) % stride`` trailing positions that cannot
fill another window are dropped (torch does the same).  Every layer derives its output shape
from this: convolutions (kernel = filter), pooling (kernel = pool, padding 0), downsampling
(kernel 1, stride k).  The transposed direction (a transposed convolution, upsampling) is
its inverse for the positions that were kept:

    size = (out - 1)*stride - 2*padding + dilation*(kernel - 1) + 1
"""

from ._validate import as_int

__all__ = ["window_span", "output_size", "transposed_output_size", "window_positions",
           "conv_output_size"]


def window_span(kernel, dilation=1):
    """Input positions one window covers: ``dilation*(kernel - 1) + 1``."""
    return dilation * (kernel - 1) + 1


def output_size(size, kernel, stride=1, padding=0, dilation=1):
    """Unchecked: the number of window positions along one axis (the formula above); < 1 when
    the window does not fit."""
    return (size + 2 * padding - window_span(kernel, dilation)) // stride + 1


def transposed_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """Unchecked: the input size whose convolution has ``size`` outputs, with nothing dropped."""
    return (size - 1) * stride - 2 * padding + window_span(kernel, dilation)


def window_positions(where, x_name, x_shape, kernel, stride, padding, dilation,
                     window="filter"):
    """Checked: the output's spatial sizes for the spatial sizes ``x_shape[2:]``.

    ``kernel``, ``stride``, ``padding``, ``dilation`` are tuples with one entry per
    spatial axis.  Raises ValueError naming ``where`` when the (dilated) ``window`` is
    larger than the padded input along some axis.
    """
    spatial = tuple(x_shape[2:])
    spans = tuple(window_span(k, d) for k, d in zip(kernel, dilation))
    padded = tuple(size + 2 * p for size, p in zip(spatial, padding))
    if any(span > size for span, size in zip(spans, padded)):
        shape = "x".join(str(k) for k in kernel)
        dilated = f" with dilation {dilation}" if any(d != 1 for d in dilation) else ""
        raise ValueError(
            f"{where}: the {shape} {window}{dilated} spans {spans} positions, larger than "
            f"the padded input {padded} ({x_name}.shape = {tuple(x_shape)}, "
            f"padding = {padding})")
    return tuple(output_size(*args) for args in zip(spatial, kernel, stride, padding, dilation))


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Number of window positions along one axis: the kit's output-size formula.

        out = (size + 2*padding - dilation*(kernel_size - 1) - 1) // stride + 1

    A window spans ``dilation*(kernel_size-1) + 1`` input positions.  Windows start at 0,
    stride, 2*stride, ... and must lie inside the padded input, so the remainder
    ``(size + 2*padding - span) % stride`` trailing positions that cannot fill another
    window are dropped (torch does the same).

    Raises ValueError when the window is larger than the padded input.
    """
    where = "conv_output_size"
    size = as_int(where, "size", size)
    kernel_size = as_int(where, "kernel_size", kernel_size)
    stride = as_int(where, "stride", stride)
    padding = as_int(where, "padding", padding, minimum=0)
    dilation = as_int(where, "dilation", dilation)
    span = window_span(kernel_size, dilation)
    if span > size + 2 * padding:
        raise ValueError(
            f"{where}: a window of kernel_size {kernel_size} and dilation "
            f"{dilation} spans {span} positions, more than the padded input "
            f"size {size} + 2*{padding} = {size + 2 * padding}")
    return output_size(size, kernel_size, stride, padding, dilation)

