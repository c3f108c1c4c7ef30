"""Finite-difference gradient checks for any object with the layer protocol.

The course's measure, per gradient and trial: a random unit-scale direction
``delta`` and a random upstream gradient ``V`` (the same ``V`` for all trials),

    exact  = sum(V * (f(p + step*delta) - f(p - step*delta))) / (2*step)   (central)
             combined with the same at step/2 (Richardson), error O(step^4)
           = sum(V * (f(p + step*delta) - f(p))) / step                    (forward, the course's)
    approx = sum(dLdp * delta)        with dLdp from backprop(x, V)
    agreement = 100 - mean(|approx - exact| / max(|exact|, |approx|)) * 100

where ``p`` is the input ``x`` or one parameter.  Both sides are "change per
unit step", as the course prints them.  Both zero counts as agreement.

Kinks: max and ReLU are piecewise linear, and a step that crosses a kink gives
a difference quotient that is no derivative at all.  Each trial therefore
compares the one-sided quotients at ``h`` and ``h/2`` (see ``_Probe.derivative``):
a linear piece and a smooth curve each leave a recognisable pattern; a kink
breaks both.  Then the step shrinks tenfold, up to ``refinements`` times; a
trial that crosses a kink at every step is reported as a kink crossing and left
out of the score instead of lowering it.

Ties: at a tie the max has no derivative, only a rule (the kit and torch give
the gradient to the first maximum in row-major order).  ``check_tie_rule``
checks that rule without knowing the layer: it compares ``backprop`` at the
tied input with the numeric derivative at a nearby tie-free point, shifted by
``-eps * (flat index)`` so that among equal values the first one is largest.
"""

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from nnlayers._init import as_generator
from nnlayers._validate import as_int, as_real, as_real_array

__all__ = [
    "GradientResult",
    "LayerReport",
    "check_layer",
    "check_tie_rule",
    "gradient_names",
    "relative_errors",
]

METHODS = ("central", "forward")
# Upper bounds that only refuse nonsense (trials=2**63 would run for ever): 10,000 random
# directions is far beyond what a verdict needs, and a step shrunk tenfold 30 times is below
# float64's resolution of any input.
MAX_TRIALS = 10_000
MAX_REFINEMENTS = 30


def _same_shape(where: str, names: Tuple[str, str], a: Any,
                b: Any) -> Tuple[np.ndarray, np.ndarray]:
    """Two real arrays of one shape, as float64 (a TypeError or ValueError naming ``where``)."""
    a, b = (as_real_array(where, name, v).astype(np.float64) for name, v in zip(names, (a, b)))
    if a.shape != b.shape:
        raise ValueError(f"{where}: {names[0]} and {names[1]} must have the same shape, got "
                         f"{a.shape} and {b.shape}")
    return a, b


def relative_errors(exact: "ArrayLike", approx: "ArrayLike") -> np.ndarray:
    """``|approx - exact| / max(|exact|, |approx|)`` elementwise, 0 where both are 0.

    ``exact`` and ``approx``: real arrays of the same shape."""
    exact, approx = _same_shape("relative_errors", ("exact", "approx"), exact, approx)
    scale = np.maximum(np.abs(exact), np.abs(approx))
    diff = np.abs(approx - exact)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), 0.0)
    # NaN anywhere means the check could not be made: count it as full disagreement.
    return np.where(np.isnan(rel) | np.isnan(diff), 1.0, rel)


def relative_error(expected: "ArrayLike", got: "ArrayLike") -> float:
    """``||got - expected|| / ||expected||`` (2-norms over all elements, float64).

    0 when both are zero; inf when only ``expected`` is zero or ``got`` holds NaN or inf
    where ``expected`` does not.  This is the reference check's figure: a layer that returns
    zeros where the reference does not scores 1, never "agreement".  ``expected`` and
    ``got``: real arrays of the same shape.
    """
    expected, got = _same_shape("relative_error", ("expected", "got"), expected, got)
    bad = ~np.isfinite(got) & np.isfinite(expected)
    if bad.any():
        return float("inf")
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(expected)
        diff = np.where(finite, got - expected, 0.0)
        clean = np.where(finite, expected, 0.0)
        scale = float(np.sqrt(np.sum(clean * clean)))      # plain sums: linalg.norm is
        error = float(np.sqrt(np.sum(diff * diff)))        # many times slower on a loaded BLAS
    if scale == 0.0:
        return 0.0 if error == 0.0 else float("inf")
    return error / scale


@dataclass
class GradientResult:
    """One row of a report: a forward, a gradient (``dLdx``, ``dLdW``, ...) or a tie rule.

    A gradient row holds the course's finite-difference figures (``exact`` / ``approx`` per
    trial, their ``agreement`` in percent) and, when the layer has a reference, the relative
    error against it (``rel_error``), which then decides the row.  A forward row has only the
    relative error.  ``counts`` is False for rows that the verdict policy in force shows but
    does not count (then a failure is shown as a warning).
    """

    gradient: str
    threshold: float
    exact: list = field(default_factory=list)   # per trial, change per unit step
    approx: list = field(default_factory=list)
    kinked: list = field(default_factory=list)  # trials left out: kink crossed at every step
    note: str = ""
    error: str = ""
    case: str = ""                  # which configuration: "course shapes", "(2, 3, 11, 9) ..."
    kind: str = "gradient"          # "gradient", "forward" or "ties"
    rel_error: Optional[float] = None   # against the reference; None when there is none
    tolerance: float = 1e-6         # rel_error at most this passes
    counts: bool = True
    diagnosis: list = field(default_factory=list)   # lines saying what is wrong
    worst: list = field(default_factory=list)       # [(index, expected, got), ...]
    failed_check: Optional[bool] = None  # set directly by checks that are not figures (ties)
    expected: object = field(default=None, repr=False)   # the reference's array, kept for
    got: object = field(default=None, repr=False)        # diagnosis and --plot (not in JSON)
    probe: object = field(default=None, repr=False)      # (evaluate, point, grad): localise

    @property
    def agreement(self):
        """Percent agreement over the trials that crossed no kink (NaN if none did)."""
        kept = [i for i, k in enumerate(self.kinked) if not k]
        if self.error or not kept or len(self.approx) != len(self.exact):
            return float("nan")
        rel = relative_errors([self.exact[i] for i in kept], [self.approx[i] for i in kept])
        return float(np.clip(100.0 - rel.mean() * 100.0, 0.0, 100.0))

    @property
    def status(self):
        """"ok", "FAIL", "error" or "kink" (every trial crossed a kink, no reference)."""
        if self.error:
            return "error"
        if self.failed_check is not None:
            return "FAIL" if self.failed_check else "ok"
        if self.rel_error is not None:
            return "ok" if self.rel_error <= self.tolerance else "FAIL"
        if self.kinked and all(self.kinked):
            return "kink"
        return "ok" if self.agreement >= self.threshold else "FAIL"

    @property
    def shown_status(self):
        """The status as the policy shows it: a failure that does not count is "warn"."""
        status = self.status
        return "warn" if status in ("FAIL", "error", "kink") and not self.counts else status

    @property
    def passed(self):
        return self.status == "ok" or not self.counts

    def to_dict(self):
        return {
            "gradient": self.gradient,
            "case": self.case,
            "kind": self.kind,
            "agreement": self.agreement if self.approx else None,
            "rel_error": self.rel_error,
            "tolerance": self.tolerance if self.rel_error is not None else None,
            "status": self.shown_status,
            "counts": self.counts,
            "passed": self.passed,
            "threshold": self.threshold,
            "trials": len(self.exact),
            "kinked_trials": int(sum(self.kinked)),
            "exact": list(map(float, self.exact)),
            "approx": list(map(float, self.approx)),
            "diagnosis": list(self.diagnosis),
            "worst": [{"index": list(map(int, i)), "expected": float(e), "got": float(g)}
                      for i, e, g in self.worst],
            "note": self.note,
            "error": self.error,
        }


@dataclass
class LayerReport:
    """All checks of one layer, with the settings that produced them."""

    layer: str
    method: str
    dtype: str
    step: float
    trials: int
    results: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    error: str = ""
    style: str = ""
    course_label: str = ""
    inputs: dict = field(default_factory=dict, repr=False)   # {"x": x, "dy": V} of the check

    @property
    def passed(self):
        return not self.error and bool(self.results) and all(r.passed for r in self.results)

    @classmethod
    def failed(cls, layer, error, style=""):
        """A report for a layer that could not be checked at all (not loaded, not built)."""
        return cls(layer, "-", "-", float("nan"), 0, error=error, style=style)

    def to_dict(self):
        return {
            "layer": self.layer,
            "style": self.style,
            "method": self.method,
            "dtype": self.dtype,
            "step": self.step,
            "trials": self.trials,
            "passed": self.passed,
            "error": self.error,
            "warnings": list(self.warnings),
            "checks": [r.to_dict() for r in self.results],
        }


def describe_error(error: BaseException) -> str:
    """``TypeName: message``, the way every report quotes an exception (an error raised by
    homework code in the grader's worker is quoted as the worker reported it)."""
    if type(error).__name__ == "HomeworkRaised":
        return str(error)
    return f"{type(error).__name__}: {error}"


def _choice(where, name, value, choices):
    if not isinstance(value, str):
        raise TypeError(f"{where}: {name} must be one of {choices}, got {value!r}")
    if value not in choices:
        raise ValueError(f"{where}: {name} must be one of {choices}, got {value!r}")
    return value


def _label(where, name, value, optional=False):
    if not (isinstance(value, str) or (optional and value is None)):
        wanted = "a str or None" if optional else "a str"
        raise TypeError(f"{where}: {name} must be {wanted}, got {value!r}")
    return value


def _check_settings(where, *, trials, seed, threshold, kink_tol, refinements, name, **more):
    """The settings both checks take, then ``more`` of check_layer's, each checked; returns
    the random generator of ``seed``.  A TypeError or ValueError names ``where``."""
    for setting, value, low, high in (("trials", trials, 1, MAX_TRIALS),
                                      ("refinements", refinements, 0, MAX_REFINEMENTS)):
        if as_int(where, setting, value, minimum=low) > high:
            raise ValueError(f"{where}: {setting} must be <= {high}, got {value}")
    as_real(where, "threshold", threshold)
    as_real(where, "kink_tol", kink_tol, 0)
    _label(where, "name", name, optional=True)
    if more:
        as_real(where, "step", more["step"], 0, math.inf, low_open=True, high_open=True)
        _choice(where, "method", more["method"], METHODS)
        _choice(where, "upstream", more["upstream"], ("normal", "ones"))
        as_real(where, "tolerance", more["tolerance"], 0)
        _label(where, "case", more["case"])
        if not isinstance(more["counts"], bool):
            raise TypeError(f"{where}: counts must be True or False, got {more['counts']!r}")
    return as_generator(where, seed, "seed")


def _float_dtype(where: str, dtype: Any) -> "np.dtype[Any]":
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise TypeError(f"{where}: dtype must be a floating dtype (np.float64, np.float32), "
                        f"got {dtype!r}")
    return dtype


class _Probe:
    """Difference quotients of ``F(p) = sum(V * f(p))`` along a direction, for one target."""

    def __init__(self, evaluate, point, upstream):
        self.evaluate = evaluate   # array -> forward output, with the target set to it
        self.point = point
        self.upstream = upstream
        self.at_point = evaluate(point)

    def _quotient(self, delta, h):
        """(forward, backward) one-sided quotients at step h: (F(p+hd)-F(p))/h, (F(p)-F(p-hd))/h."""
        up = self.evaluate(self.point + h * delta)
        down = self.evaluate(self.point - h * delta)
        return (float(np.sum(self.upstream * (up - self.at_point))) / h,
                float(np.sum(self.upstream * (self.at_point - down))) / h)

    def derivative(self, delta, step, method, kink_tol, refinements):
        """The directional derivative's estimate, and whether every step tried crossed a kink.

        At step h and h/2 take the forward and backward quotients D+ and D-.
        - On a linear piece all four agree.
        - On a smooth curve the asymmetry a = D+ - D- is proportional to h, so it
          halves with h, and the central quotients c = (D+ + D-)/2 move by O(h^2),
          far less than a.
        - Across a kink (at the point or anywhere within the step) the asymmetry
          does not halve, or the central quotients move by at least ~14 % of it.
        Otherwise the step shrinks tenfold, up to ``refinements`` times.  The
        central estimate combines h and h/2 (Richardson: (4*c(h/2) - c(h)) / 3,
        error O(h^4)); the forward one is the course's D+(h).
        """
        h = step
        first = None
        for _ in range(refinements + 1):
            (fwd, bwd), (fwd2, bwd2) = self._quotient(delta, h), self._quotient(delta, h / 2)
            central, central2 = (fwd + bwd) / 2, (fwd2 + bwd2) / 2
            estimate = (4 * central2 - central) / 3 if method == "central" else fwd
            first = estimate if first is None else first
            tolerance = kink_tol * max(abs(fwd), abs(bwd), abs(fwd2), abs(bwd2))
            linear = max(fwd, bwd, fwd2, bwd2) - min(fwd, bwd, fwd2, bwd2) <= tolerance
            asymmetry, asymmetry2 = fwd - bwd, fwd2 - bwd2
            smooth = (abs(2 * asymmetry2 - asymmetry) <= 0.25 * abs(asymmetry)
                      and abs(central - central2) <= max(tolerance, 0.05 * abs(asymmetry)))
            if linear or smooth:
                return estimate, False
            h /= 10
        return first, True


def gradient_names(num_params, param_names=None):
    """Row names: dLdx, then dLd<name> per parameter: the layer's ``param_names`` if it has
    them (batch norm: gamma, beta), else W and b, and param<i> beyond two."""
    if param_names is None or len(param_names) != num_params:
        param_names = ["W", "b"][:num_params] + [f"param{i}" for i in range(2, num_params)]
    return ["dLdx"] + [f"dLd{name}" for name in param_names]


class _Mismatch(Exception):
    """backprop returned the wrong number of gradients."""


def _as_tuple(grads):
    if isinstance(grads, (tuple, list)):
        return tuple(grads)
    return (grads,)


def check_layer(layer: Any, x: "ArrayLike", *, name: Optional[str] = None,
                reference: Any = None, trials: int = 20, step: float = 1e-3,
                method: str = "central", upstream: str = "normal", seed: int = 0,
                dtype: "DTypeLike" = np.float64, threshold: float = 99.9,
                kink_tol: float = 1e-6, refinements: int = 3, case: str = "",
                counts: bool = True, tolerance: float = 1e-6) -> "LayerReport":
    """Check ``layer.backprop`` against finite differences of ``layer.forward`` and, when a
    ``reference`` layer is given, check forward and every gradient against it.

    Parameters
    ----------
    layer : object with ``forward(x)`` and ``backprop(x, dLdy)``; if it also has
        ``get_weights()`` / ``set_weights(*params)``, every parameter is checked,
        and ``backprop`` must return ``(dLdx, dLd<param>...)`` in that order.
        Rows are named dLdW, dLdb unless the layer has ``param_names``.
    x : array, any shape the layer accepts (e.g. (N, C, H, W)); it is copied.
    reference : None, or a layer known to be right with the same parameters (the kit's),
        whose forward and gradients decide the rows (relative error at most ``tolerance``);
        the finite-difference agreement is then reported beside it.
    trials : number of random directions per gradient.
    step : the finite-difference step (the course's ``dt``).
    method : "central" (error O(step^2), default) or "forward" (the course's).
    upstream : "normal" (random V) or "ones" (the course's ``np.ones``).
    dtype : the dtype the check runs in; float64 unless asked otherwise.
    threshold : percent agreement a gradient needs to pass (when there is no reference).
    case, counts : the configuration's label, and whether its rows count for the verdict.

    Every forward evaluation the check scores is made before ``backprop`` sees the upstream
    gradient ``V``, so a forward cannot adapt to it.  Returns a ``LayerReport``; errors raised
    by the layer are reported in it (``error``), never raised.  The layer's parameters and
    buffers (``buffer_names``, e.g. batch norm's running statistics) are restored afterwards.
    """
    where = "check_layer"
    rng = _check_settings(where, trials=trials, seed=seed, threshold=threshold,
                          kink_tol=kink_tol, refinements=refinements, name=name, step=step,
                          method=method, upstream=upstream, tolerance=tolerance, case=case,
                          counts=counts)
    dtype = _float_dtype(where, dtype)
    x = as_real_array(where, "x", x)
    name = name or type(layer).__name__
    report = LayerReport(name, method, dtype.name, step, trials)
    if dtype != np.float64:
        report.warnings.append(
            f"checked in {dtype.name}: differences of {dtype.name} outputs carry "
            f"rounding errors near {np.finfo(dtype).eps:.0e} of the output, so "
            f"agreement well below 100 % may mean rounding, not a wrong gradient")
    given = [x.dtype]
    x = np.array(x, dtype=dtype)  # a copy: the check never touches the caller's array

    has_params = hasattr(layer, "get_weights") and hasattr(layer, "set_weights")
    buffers = {b: np.array(getattr(layer, b), copy=True)
               for b in getattr(layer, "buffer_names", ()) if hasattr(layer, b)}
    try:
        original = tuple(np.array(p, copy=True) for p in layer.get_weights()) if has_params else ()
    except Exception as error:  # noqa: BLE001 - a student's layer may raise anything
        report.error = f"get_weights raised {describe_error(error)}"
        return report
    try:
        given += [p.dtype for p in original]
        if dtype == np.float64 and np.dtype(np.float32) in given:
            report.warnings.append(
                "float32 input or parameters were checked in float64; in float32 a "
                "difference quotient at this step is only good to about 1e-4 relative, "
                "so pass dtype=np.float32 only to see what float32 arithmetic can show")
        params = tuple(p.astype(dtype) if p.dtype.kind == "f" else p for p in original)
        if has_params:
            layer.set_weights(*params)
        settings = dict(trials=trials, step=step, method=method, upstream=upstream,
                        threshold=threshold, kink_tol=kink_tol, refinements=refinements,
                        case=case, counts=counts, tolerance=tolerance)
        return _run_checks(layer, x, params, report, rng, dtype, reference, settings)
    except Exception as error:  # noqa: BLE001
        report.error = describe_error(error)
        return report
    finally:
        if has_params:
            try:
                layer.set_weights(*original)
            except Exception as error:  # noqa: BLE001
                report.warnings.append(f"could not restore the weights: {describe_error(error)}")
        for buffer, value in buffers.items():
            setattr(layer, buffer, value)
        for message in report.warnings:
            warnings.warn(f"gradcheck {name}: {message}", stacklevel=2)


def _run_checks(layer, x, params, report, rng, dtype, reference, s):
    def new_row(label, kind="gradient"):
        row = GradientResult(label, s["threshold"], case=s["case"], kind=kind,
                             counts=s["counts"], tolerance=s["tolerance"])
        report.results.append(row)
        return row

    try:
        y = np.asarray(layer.forward(x.copy()))
    except Exception as error:  # noqa: BLE001
        report.error = f"forward raised {describe_error(error)}"
        return report
    if y.dtype != dtype:
        report.warnings.append(
            f"forward returned {y.dtype} for a {dtype.name} input: the layer computes in "
            f"{y.dtype}, whose rounding limits the agreement a check can show")
        if y.dtype == np.float32:
            s["tolerance"] = max(s["tolerance"], 1e-4)
    V = rng.standard_normal(y.shape) if s["upstream"] == "normal" else np.ones(y.shape)
    V = V.astype(dtype)
    report.inputs = {"x": x, "dy": V}
    names = gradient_names(len(params), getattr(layer, "param_names", None))

    if reference is not None:
        row = new_row("forward", "forward")
        expected = np.asarray(reference.forward(x.copy()), dtype=np.float64)
        if y.shape != expected.shape:
            row.error = f"forward returned shape {y.shape}, expected {expected.shape}"
        else:
            row.rel_error = relative_error(expected, y)
            row.expected, row.got = expected, y.astype(np.float64)

    def with_input(value):
        return np.asarray(layer.forward(value), dtype=np.float64)

    def with_param(index):
        def evaluate(value):
            layer.set_weights(*(value if i == index else p for i, p in enumerate(params)))
            try:
                return np.asarray(layer.forward(x.copy()), dtype=np.float64)
            finally:
                layer.set_weights(*params)
        return evaluate

    # 1. every forward evaluation, for every gradient, before backprop sees V
    targets = [(x, with_input)] + [(p, with_param(i)) for i, p in enumerate(params)]
    probes = []
    for gradient_name, (point, evaluate) in zip(names, targets):
        row = new_row(gradient_name)
        probe = _Probe(evaluate, point, V.astype(np.float64))
        deltas = []
        for _ in range(s["trials"]):
            delta = rng.standard_normal(point.shape).astype(dtype)
            exact, kinked = probe.derivative(delta, s["step"], s["method"], s["kink_tol"],
                                             s["refinements"])
            deltas.append(delta)
            row.exact.append(exact)
            row.kinked.append(kinked)
        probes.append((row, point, deltas))
        row.probe = (evaluate, point, None)

    # 2. backprop, once
    try:
        grads = _as_tuple(layer.backprop(x.copy(), V.copy()))
        if len(grads) != 1 + len(params):
            raise _Mismatch(f"backprop returned {len(grads)} gradient(s); expected "
                            f"{1 + len(params)} (dLdx, then one per parameter of get_weights)")
    except Exception as error:  # noqa: BLE001
        message = str(error) if isinstance(error, _Mismatch) else (
            f"backprop raised {describe_error(error)}")
        for row, _, _ in probes:
            row.error, row.exact, row.kinked = message, [], []
        return report
    expected_grads = (_as_tuple(reference.backprop(x.copy(), V.copy()))
                      if reference is not None else None)

    # 3. the scores
    for index, (grad, (row, point, deltas)) in enumerate(zip(grads, probes)):
        grad = np.asarray(grad)
        if grad.shape != point.shape:
            row.error = f"backprop's {row.gradient} has shape {grad.shape}, expected {point.shape}"
            row.exact, row.kinked = [], []
            continue
        grad = grad.astype(np.float64)
        row.approx = [float(np.sum(grad * delta)) for delta in deltas]
        row.probe = (row.probe[0], point, grad)
        if expected_grads is not None:
            expected = np.asarray(expected_grads[index], dtype=np.float64).reshape(grad.shape)
            row.rel_error = relative_error(expected, grad)
            row.expected, row.got = expected, grad
        if any(row.kinked):
            row.note = (f"{sum(row.kinked)} of {len(row.kinked)} trials crossed a kink at every "
                        f"step tried and were left out; use tie-free inputs whose values "
                        f"differ by more than the step")
    return report


def check_tie_rule(layer: Any, x: "ArrayLike", *, name: Optional[str] = None, trials: int = 20,
                   seed: int = 0, threshold: float = 99.9, kink_tol: float = 1e-6,
                   refinements: int = 3) -> "LayerReport":
    """Check how ``layer.backprop`` treats tied inputs: the first maximum takes the gradient.

    ``x`` should hold ties (e.g. small integers).  The exact side is the
    directional derivative at ``x - eps * arange(x.size)``: every tie broken in
    favour of the earlier element in row-major order, no two values reordered
    otherwise (``eps`` keeps the whole shift under a quarter of the smallest gap
    between distinct values).  The approx side is ``backprop`` at ``x`` itself.
    A layer that spreads a tie's gradient over all tied elements fails.

    Returns a ``LayerReport`` with one row, ``dLdx (ties)``.
    """
    where = "check_tie_rule"
    rng = _check_settings(where, trials=trials, seed=seed, threshold=threshold,
                          kink_tol=kink_tol, refinements=refinements, name=name)
    x = np.array(as_real_array(where, "x", x), dtype=np.float64)
    if x.size == 0:
        raise ValueError(f"{where}: x must hold at least one value, got shape {x.shape}")
    report = LayerReport(name or type(layer).__name__, "central", "float64", float("nan"), trials)
    result = GradientResult("dLdx (ties)", threshold)
    report.results.append(result)
    values = np.unique(x)
    gap = np.diff(values).min() if values.size > 1 else 1.0
    eps = 0.25 * gap / x.size
    step = 0.01 * eps
    report.step = step
    shifted = x - eps * np.arange(x.size, dtype=np.float64).reshape(x.shape)
    try:
        y = np.asarray(layer.forward(x.copy()))
        V = rng.standard_normal(y.shape)
        grad = np.asarray(_as_tuple(layer.backprop(x.copy(), V.copy()))[0], dtype=np.float64)
        if grad.shape != x.shape:
            result.error = f"backprop's dLdx has shape {grad.shape}, expected {x.shape}"
            return report
        probe = _Probe(lambda v: np.asarray(layer.forward(v), dtype=np.float64), shifted, V)
        for _ in range(trials):
            delta = rng.standard_normal(x.shape)
            exact, kinked = probe.derivative(delta, step, "central", kink_tol, refinements)
            result.exact.append(exact)
            result.approx.append(float(np.sum(grad * delta)))
            result.kinked.append(kinked)
    except Exception as error:  # noqa: BLE001
        result.error = describe_error(error)
    return report
