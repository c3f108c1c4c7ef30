"""Worker side: homework layers in their own style, behind one calling convention.

Runs inside the worker only (it calls homework code).  A ``Session`` answers the grader's
requests; an adapter per style turns one homework layer into

    get_params() -> [arrays]           the homework's parameters, in its own shapes
    set_params([arrays])               put parameters back (the grader moves them)
    forward(x) -> y
    backward(x, dy) -> [dx, dparam...] one gradient per parameter, in get_params' order

so that the grader can treat every style alike.  Each call gets fresh copies of the
grader's arrays: what the homework does to them (in-place edits included) stays here.
"""

import importlib.util
import inspect
import sys
from pathlib import Path

import numpy as np

__all__ = ["Session", "ADAPTERS", "plain_array"]


def _load_sibling(name):
    full = f"_gradcheck_worker_{name}"
    if full in sys.modules:
        return sys.modules[full]
    spec = importlib.util.spec_from_file_location(full, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[full] = module
    spec.loader.exec_module(module)
    return module


def plain_array(value, what):
    """``value`` as a plain float64 ndarray copy; TypeError for anything not numeric."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):      # a torch tensor
        value = value.detach().cpu().numpy()
    if value is None:
        raise TypeError(f"{what} returned None (not implemented?)")
    array = np.array(value, copy=True, subok=False)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} returned {type(value).__name__} of dtype {array.dtype}; "
                        f"expected a numeric array")
    return array


def _positional_count(method):
    """How many positional arguments ``method`` takes (bound: self not counted)."""
    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return None
    return sum(1 for p in parameters if p.kind in kinds)


class CourseAdapter:
    """The course's layers: ``forward(x)``, ``backprop(x, dLdy)`` returning dLdx or
    ``(dLdx, dLdW, dLdb)``; also the stateful variant ``backprop(dLdy)`` after ``forward(x)``,
    whose parameter gradients come back in the result, from ``get_gradients()`` or from
    attributes (``dLdW``/``dW``...).  Parameters through get_weights/set_weights, else the
    attributes ``W`` and ``b``."""

    param_attributes = ("W", "b")

    def __init__(self, cls, args, kwargs):
        self.layer = cls(*args, **kwargs)
        backprop = getattr(self.layer, "backprop", None) or getattr(self.layer, "backward", None)
        if backprop is None:
            raise TypeError(f"{cls.__name__} has no backprop method")
        self.backprop = backprop
        self.stateful = _positional_count(backprop) == 1

    def get_params(self):
        if callable(getattr(self.layer, "get_weights", None)):
            params = self.layer.get_weights()
            params = list(params) if isinstance(params, (tuple, list)) else [params]
        else:
            params = [getattr(self.layer, n) for n in self.param_attributes if hasattr(self.layer, n)]
        return [plain_array(p, "get_weights") for p in params]

    def set_params(self, params):
        layer = self.layer
        if callable(getattr(layer, "set_weights", None)):
            layer.set_weights(*params)
        elif all(hasattr(layer, n) for n in self.param_attributes[:len(params)]):
            for name, value in zip(self.param_attributes, params):
                setattr(layer, name, value)
        elif callable(getattr(layer, "update_weights", None)):
            current = self.get_params()
            layer.update_weights(*(new - old for new, old in zip(params, current)))
        else:
            raise TypeError("the layer has neither set_weights, attributes W and b, "
                            "nor update_weights: the grader cannot move its parameters")

    def forward(self, x):
        return self.layer.forward(x)

    def _stored_gradients(self, count):
        getter = getattr(self.layer, "get_gradients", None)
        if callable(getter):
            stored = getter()
            return list(stored) if isinstance(stored, (tuple, list)) else [stored]
        found = []
        for name in self.param_attributes[:count]:
            for attribute in (f"dLd{name}", f"d{name}", f"grad_{name}", f"d{name.lower()}"):
                if hasattr(self.layer, attribute):
                    found.append(getattr(self.layer, attribute))
                    break
        return found

    def backward(self, x, dy):
        if self.stateful:
            self.layer.forward(x)
            result = self.backprop(dy)
        else:
            result = self.backprop(x, dy)
        grads = list(result) if isinstance(result, (tuple, list)) else [result]
        count = len(self.get_params())
        if len(grads) == 1 and count:
            grads += self._stored_gradients(count)
        return grads


ADAPTERS = {"course": CourseAdapter}


def _first_binding(cls, attempts):
    """The first ``(args, kwargs)`` of ``attempts`` that ``cls``'s signature accepts."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        signature = None
    for attempt in attempts:
        args, kwargs = list(attempt.get("args", [])), dict(attempt.get("kwargs", {}))
        if signature is None:
            return args, kwargs
        try:
            signature.bind(*args, **kwargs)
            return args, kwargs
        except TypeError:
            continue
    shown = ", ".join(f"{cls.__name__}{tuple(a.get('args', []))} {a.get('kwargs', {})}" for a in attempts)
    raise TypeError(f"{cls.__name__}{signature} accepts none of the course's calls: {shown}")


class Session:
    """One submission's state in the worker: its loaded module and the layers built from it."""

    OPS = ("load", "build", "forward", "backward")

    def __init__(self):
        self.loading = _load_sibling("loading")
        self.modules = []           # loaded homework modules, in load order
        self.layers = {}

    def handle(self, op, header, arrays):
        if op not in self.OPS:
            raise ValueError(f"unknown request {op!r}")
        return getattr(self, f"_{op}")(header, arrays)

    def _load(self, header, arrays):
        module = self.loading.load_definitions(header["path"])
        self.modules.append(module)
        names = sorted(name for name, value in vars(module).items()
                       if not name.startswith("__") and (isinstance(value, type) or callable(value)))
        return {"names": names, "missing_imports": list(module.__missing_imports__)}, {}

    def _find(self, name):
        for module in reversed(self.modules):
            if hasattr(module, name):
                return getattr(module, name)
        raise LookupError(f"no {name!r} in the submission")

    def _build(self, header, arrays):
        cls = self._find(header["name"])
        adapter_class = ADAPTERS[header["style"]]
        args, kwargs = _first_binding(cls, header.get("attempts", [{}]))
        np.random.seed(int(header.get("seed", 0)))
        adapter = adapter_class(cls, args, kwargs)
        self.layers[header["handle"]] = adapter
        params = adapter.get_params()
        return {"count": len(params)}, {f"p{i}": p for i, p in enumerate(params)}

    def _with_params(self, header, arrays):
        adapter = self.layers[header["handle"]]
        count = int(header.get("params", 0))
        if count:
            adapter.set_params([arrays[f"p{i}"].copy() for i in range(count)])
        return adapter

    def _forward(self, header, arrays):
        adapter = self._with_params(header, arrays)
        return {}, {"y": plain_array(adapter.forward(arrays["x"].copy()), "forward")}

    def _backward(self, header, arrays):
        adapter = self._with_params(header, arrays)
        grads = adapter.backward(arrays["x"].copy(), arrays["dy"].copy())
        return {"count": len(grads)}, {f"g{i}": plain_array(g, "backprop") for i, g in enumerate(grads)}
