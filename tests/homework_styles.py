"""Load a homework fixture and call its classes in the homework's own style, for the truth test.

This is the test's own small loader and adapters, independent of gradcheck: a course file is
read with ``ast`` and only its imports, functions and classes are executed (its test loop at
the bottom never runs); a folder style is imported with the folder on ``sys.path`` and every
module it added is forgotten again afterwards, so fixtures with the same module names
(``resampling``, ``common.layers``) never see each other.

Each ``make_*`` returns ``(params, run)``: the parameters as NumPy arrays in the reference's
order, and ``run(x, dy) -> {'forward': y, 'dLdx': ..., 'dLdW': ..., 'dLdb': ...}``.
"""

import ast
import contextlib
import importlib
import inspect
import sys
import types
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def on_path(folder):
    """Put ``folder`` first on sys.path; afterwards drop it and the modules imported from it."""
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in fixtures
    try:
        yield
    finally:
        sys.dont_write_bytecode = bytecode
        sys.path.remove(str(folder))
        for name in set(sys.modules) - before:
            origin = getattr(sys.modules[name], "__file__", None) or ""
            if Path(origin).resolve().is_relative_to(Path(folder).resolve()):
                del sys.modules[name]


def definitions(path):
    """The imports, functions and classes of the file ``path``, as a module (nothing else runs)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    keep = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
    tree.body = [node for node in tree.body if isinstance(node, keep)]
    module = types.ModuleType(Path(path).stem)
    with on_path(Path(path).parent):
        exec(compile(tree, str(path), "exec"), module.__dict__)  # noqa: S102 - our fixtures
    return module


def load(entry_path, style):
    """A namespace holding every class/function of the fixture, by name."""
    entry_path = Path(entry_path)
    if entry_path.is_file():
        return vars(definitions(entry_path))
    if style == "mytorch":
        folder = entry_path / "mytorch"
        with on_path(folder):
            names = {}
            for file in sorted(folder.glob("*.py")):
                names.update(vars(importlib.import_module(file.stem)))
        return names
    package = {"cs231n": "cs231n.layers", "dlfs": "common.layers"}[style]
    with on_path(entry_path):
        return vars(importlib.import_module(package))


def _copy(a):
    return np.array(a, dtype=np.float64, copy=True)


# ---- the course: forward(x), backprop(x, dLdy), get_weights() --------------------------------

def _course_conv(cls, cfg):
    """The course's positional call; the torch edition's constructor has no ``std``."""
    n, c, h, w = cfg["x"]
    np.random.seed(0)
    arguments = [cfg["kh"], cfg["kw"], h, c, cfg["f"], 1.0]
    if len(inspect.signature(cls).parameters) < len(arguments):
        arguments.pop()
    return cls(*arguments)


def _course_pool(cls, cfg):
    return cls(pool_size=cfg["kh"], stride=cfg["stride"])


def make_course(cls, kind, cfg):
    if kind == "conv2d":
        layer = _course_conv(cls, cfg)
        params = [_copy(p) for p in layer.get_weights()]

        def run(x, dy):
            y = layer.forward(x.copy())
            dx, dW, db = layer.backprop(x.copy(), dy.copy())
            return {"forward": y, "dLdx": dx, "dLdW": dW, "dLdb": db}
        return params, run
    layer = _course_pool(cls, cfg)
    return [], lambda x, dy: {"forward": layer.forward(x.copy()),
                              "dLdx": layer.backprop(x.copy(), dy.copy())}


# ---- stateful: forward(x) then backprop(dLdy); gradients returned, get_gradients() or attributes

def _stored_gradients(layer):
    if hasattr(layer, "get_gradients"):
        return layer.get_gradients()
    for names in (("dLdW", "dLdb"), ("dW", "db"), ("grad_W", "grad_b")):
        if all(hasattr(layer, name) for name in names):
            return tuple(getattr(layer, name) for name in names)
    raise AttributeError(f"{type(layer).__name__} stores no gradients")


def make_stateful(cls, kind, cfg):
    if kind == "conv2d":
        layer = _course_conv(cls, cfg)
        params = [_copy(p) for p in layer.get_weights()]

        def run(x, dy):
            y = layer.forward(x.copy())
            out = layer.backprop(dy.copy())
            dx, (dW, db) = (out[0], out[1:]) if isinstance(out, tuple) else (out, _stored_gradients(layer))
            return {"forward": y, "dLdx": dx, "dLdW": dW, "dLdb": db}
        return params, run
    layer = _course_pool(cls, cfg)

    def run_pool(x, dy):
        y = layer.forward(x.copy())
        return {"forward": y, "dLdx": layer.backprop(dy.copy())}
    return [], run_pool


# ---- the course's torch edition: forward only, autograd gives the gradients -------------------

def make_torch(cls, kind, cfg):
    import torch
    layer = _course_conv(cls, cfg) if kind == "conv2d" else _course_pool(cls, cfg)
    names = ("W", "b") if kind == "conv2d" else ()
    params = [_copy(getattr(layer, name).detach().numpy()) for name in names]

    def run(x, dy):
        tensors = [torch.tensor(a, requires_grad=True) for a in (x, *params)]
        for name, tensor in zip(names, tensors[1:]):
            setattr(layer, name, tensor)
        y = layer.forward(tensors[0])
        y.backward(torch.tensor(dy))
        rows = {"forward": y.detach().numpy()}
        for row, tensor in zip(("dLdx", "dLdW", "dLdb"), tensors):  # unused by forward: zero
            rows[row] = np.zeros(tensor.shape) if tensor.grad is None else tensor.grad.numpy()
        return rows
    return params, run


# ---- MyTorch: forward(A), backward(dLdZ), W on an inner *_stride1 object ----------------------

def _holder(layer, depth=2):
    """The object that owns W and b: the layer itself or an attribute up to two levels down."""
    if hasattr(layer, "W") and hasattr(layer, "b"):
        return layer
    if depth:
        for value in vars(layer).values():
            if hasattr(value, "__dict__") and not isinstance(value, type):
                found = _holder(value, depth - 1)
                if found is not None:
                    return found
    return None


def takes(cls, name):
    """True when the constructor of ``cls`` has a parameter called ``name``."""
    try:
        return name in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False


def _build_mytorch_conv(cls, leading, cfg, weight, bias):
    """Later handouts add ``padding=0`` before the init functions: pass those by keyword
    when the constructor names them, else positionally as the 2022 autograder does."""
    keywords = {"padding": cfg["pad"]} if "pad" in cfg else {}
    if takes(cls, "weight_init_fn") and takes(cls, "bias_init_fn"):
        return cls(*leading, weight_init_fn=weight, bias_init_fn=bias, **keywords)
    return cls(*leading, weight, bias, **keywords)


def make_mytorch(cls, kind, cfg):
    rng = np.random.default_rng(1)
    c = cfg["x"][1]
    weight = lambda *shape: rng.normal(0, 1, shape)  # noqa: E731 - the autograder's style
    bias = lambda n: rng.normal(0, 1, n)  # noqa: E731
    stride = [cfg["stride"]] if "stride" in cfg else []
    build = {
        "conv1d": lambda: _build_mytorch_conv(cls, [c, cfg["f"], cfg["k"], *stride], cfg, weight, bias),
        "conv2d": lambda: _build_mytorch_conv(cls, [c, cfg["f"], cfg["kh"], *stride], cfg, weight, bias),
        "convT": lambda: _build_mytorch_conv(cls, [c, cfg["f"], cfg["k"], cfg["up"]], cfg, weight, bias),
        "maxpool": lambda: cls(cfg["kh"], *stride),
        "upsample": lambda: cls(cfg["k"]),
        "downsample": lambda: cls(cfg["k"]),
        "flatten": lambda: cls(),
    }
    build["meanpool"] = build["maxpool"]
    layer = build[kind]()
    holder = _holder(layer) if kind in ("conv1d", "conv2d", "convT") else None
    if kind in ("conv1d", "conv2d", "convT") and holder is None:
        raise AttributeError(f"{type(layer).__name__} holds no W and b (an unfilled template?)")
    params = [_copy(holder.W), _copy(holder.b)] if holder is not None else []

    def run(x, dy):
        rows = {"forward": layer.forward(x.copy()), "dLdx": layer.backward(dy.copy())}
        if holder is not None:
            rows.update(dLdW=holder.dLdW, dLdb=holder.dLdb)
        return rows
    return params, run


# ---- CS231n: functions conv_forward_naive(x, w, b, conv_param) -> (out, cache), *_backward ----

CS231N_FUNCTIONS = {
    "conv2d": ("conv_forward_naive", "conv_backward_naive"),
    "maxpool": ("max_pool_forward_naive", "max_pool_backward_naive"),
    "affine": ("affine_forward", "affine_backward"),
    "relu": ("relu_forward", "relu_backward"),
}


def make_cs231n(names, kind, cfg, rng):
    forward, backward = (names[name] for name in CS231N_FUNCTIONS[kind])
    x_shape = cfg["x"]
    if kind == "conv2d":
        params = [rng.normal(0, 1, (cfg["f"], x_shape[1], cfg["kh"], cfg["kw"])), rng.normal(0, 1, cfg["f"])]
        extra = [{"stride": cfg["stride"], "pad": cfg["pad"]}]
    elif kind == "maxpool":
        params = []
        extra = [{"pool_height": cfg["kh"], "pool_width": cfg["kw"], "stride": cfg["stride"]}]
    elif kind == "affine":
        params = [rng.normal(0, 1, (int(np.prod(x_shape[1:])), cfg["m"])), rng.normal(0, 1, cfg["m"])]
        extra = []
    else:
        params, extra = [], []

    def run(x, dy):
        out, cache = forward(x.copy(), *[p.copy() for p in params], *extra)
        grads = backward(dy.copy(), cache)
        grads = grads if isinstance(grads, tuple) else (grads,)
        rows = {"forward": out}
        rows.update(zip(("dLdx", "dLdW", "dLdb"), grads))
        return rows
    return params, run


# ---- deep-learning-from-scratch: Convolution(W, b, stride, pad), backward(dout) -> dx, self.dW --

def make_dlfs(cls, kind, cfg, rng):
    x_shape = cfg["x"]
    if kind == "conv2d":
        params = [rng.normal(0, 1, (cfg["f"], x_shape[1], cfg["kh"], cfg["kw"])), rng.normal(0, 1, cfg["f"])]
        layer = cls(params[0].copy(), params[1].copy(), stride=cfg["stride"], pad=cfg["pad"])
    elif kind == "affine":
        params = [rng.normal(0, 1, (int(np.prod(x_shape[1:])), cfg["m"])), rng.normal(0, 1, cfg["m"])]
        layer = cls(params[0].copy(), params[1].copy())
    elif kind == "maxpool":
        params = []
        layer = cls(cfg["kh"], cfg["kw"], stride=cfg["stride"])
    else:
        params, layer = [], cls()

    def run(x, dy):
        rows = {"forward": layer.forward(x.copy()), "dLdx": layer.backward(dy.copy())}
        if params:
            rows.update(dLdW=layer.dW, dLdb=layer.db)
        return rows
    return params, run
