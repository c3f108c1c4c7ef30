"""The kit is typed: every public function, method and constructor carries annotations that
resolve at run time (so they hold on the oldest supported Python), and ``py.typed`` ships."""

import inspect
import pathlib
import re
import typing

import pytest

import nnlayers


def _public_callables():
    """(qualified name, function) for everything in nnlayers.__all__ and the public methods
    its classes define or inherit from the kit (not from object)."""
    for name in nnlayers.__all__:
        obj = getattr(nnlayers, name)
        if not inspect.isclass(obj):
            yield name, getattr(obj, "__wrapped__", obj)   # memory_limit is a context manager
            continue
        for attr, value in inspect.getmembers(obj):
            if isinstance(value, property):
                value = value.fget
            if (attr == "__init__" or not attr.startswith("_")) and inspect.isfunction(value) \
                    and value.__module__.startswith("nnlayers"):
                yield f"{name}.{attr}", value


CALLABLES = sorted(_public_callables())


def test_the_table_covers_the_layer_protocol():
    names = {qualified for qualified, _ in CALLABLES}
    for expected in ("conv4d", "nn_convolutional_layer.__init__", "nn_convolutional_layer.forward",
                     "nn_convolutional_layer.backprop", "nn_convolutional_layer.set_weights",
                     "nn_sequential_model.save", "nn_adam_optimizer.step",
                     "nn_batchnorm_layer.eval"):
        assert expected in names


@pytest.mark.parametrize("qualified, function", CALLABLES, ids=[q for q, _ in CALLABLES])
def test_every_public_callable_is_annotated(qualified, function):
    signature = inspect.signature(function)
    missing = [name for name, parameter in signature.parameters.items()
               if name not in ("self", "cls") and parameter.annotation is inspect.Parameter.empty]
    assert not missing, f"{qualified}: parameters without annotations: {missing}"
    assert signature.return_annotation is not inspect.Parameter.empty, f"{qualified}: no return"
    typing.get_type_hints(function)   # every annotation resolves (no 3.10-only syntax at run time)


def test_py_typed_ships():
    root = pathlib.Path(nnlayers.__file__).parent
    assert (root / "py.typed").exists()
    pyproject = root.parent / "pyproject.toml"
    if pyproject.exists():  # a source checkout: the marker is package data
        assert re.search(r'^nnlayers = \["py.typed"\]', pyproject.read_text(), re.M)
