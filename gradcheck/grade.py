"""Grading: one submission in its own worker, a whole class folder, Gradescope's format.

    grade_submission("hw.py", settings)            -> Submission (reports per class, verdict)
    grade_class("class_dir", settings, jobs=2)     -> [Submission, ...] in name order

The grader's side of every check runs here: it draws the inputs, directions and upstream
gradients, asks the worker (``sandbox.Worker``) for the homework's forward and backprop
through a ``RemoteLayer`` proxy, and computes every score, verdict and diagnosis itself.
"""

import ast
import dataclasses
import hashlib
import threading
import time
from typing import Any, Optional
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .loading import _python2_hint
from .diagnosis import diagnose_result, localise, worst_elements
from .numeric import GradientResult, LayerReport, check_layer, describe_error
from .reference import ReferenceError_, tie_rule_row
from .references import BUILDERS
from .sandbox import GraderTampered, Tripwire, Worker, WorkerEnded, grader_folders, isolation_note
from .suites import (CONV_NAMES, POOL_NAMES, SPECS, STYLES, course_input, generic_spec,
                     spec_for, tie_input)

__all__ = ["Settings", "Submission", "RemoteLayer", "HomeworkRaised", "grade_submission",
           "grade_class", "find_targets", "class_entries"]


@dataclass
class Settings:
    """How to grade: the numeric check's settings, the policy, the limits."""

    trials: int = 20
    seed: int = 0
    threshold: float = 99.9
    step: float = 1e-3
    method: str = "central"
    upstream: str = "normal"
    strict: bool = False
    timeout: float = 60.0
    memory: int = 4 << 30
    shape: tuple = (8, 3, 32, 32)

    def check_keywords(self):
        return {"trials": self.trials, "seed": self.seed, "threshold": self.threshold,
                "step": self.step, "method": self.method, "upstream": self.upstream}


@dataclass
class Submission:
    """Everything the grader found out about one submission."""

    name: str
    reports: list = field(default_factory=list)
    error: str = ""                     # the submission as a whole could not be graded
    missing_imports: list = field(default_factory=list)
    output: dict = field(default_factory=lambda: {"stdout": "", "stderr": ""})
    denied: list = field(default_factory=list)
    seconds: float = 0.0
    isolation: str = ""

    @property
    def passed(self):
        return not self.error and bool(self.reports) and all(r.passed for r in self.reports)

    @property
    def note(self):
        """A short line for a CSV: the first reason it failed, else what was refused."""
        if self.error:
            return self.error
        for report in self.reports:
            if report.error:
                return f"{report.layer}: {report.error}"
            for row in report.results:
                if not row.passed:
                    reason = row.error or (row.diagnosis[0] if row.diagnosis else "")
                    return f"{report.layer} {row.gradient} ({row.case}) failed" + (
                        f": {reason}" if reason else "")
        if self.denied:
            return f"refused: {self.denied[0]}"
        return ""

    def to_dict(self):
        return {
            "submission": self.name,
            "passed": self.passed,
            "error": self.error,
            "note": self.note,
            "seconds": round(self.seconds, 3),
            "isolation": self.isolation,
            "skipped_imports": list(self.missing_imports),
            "denied": list(self.denied),
            "output": dict(self.output),
            "layers": [r.to_dict() for r in self.reports],
        }


class HomeworkRaised(Exception):
    """The homework's code raised inside the worker; the message is its error."""


class RemoteLayer:
    """The grader's handle on a homework layer living in the worker.

    ``forward`` and ``backprop`` send plain arrays and return plain float arrays; the
    parameters live here (``get_weights`` / ``set_weights``) and travel with every call, so the
    worker holds nothing the grader relies on.
    """

    def __init__(self, worker, handle, params, what):
        self.worker, self.handle, self.what = worker, handle, what
        self._params = [np.asarray(p, dtype=np.float64) for p in params]

    def _call(self, op, arrays, what):
        arrays = dict(arrays)
        for i, p in enumerate(self._params):
            arrays[f"p{i}"] = p
        answer, out = self.worker.request({"op": op, "handle": self.handle,
                                           "params": len(self._params)}, arrays,
                                          what=f"{self.what}.{what}")
        if not answer.get("ok"):
            raise HomeworkRaised(str(answer.get("error", "unknown error"))[:2000])
        return answer, out

    def forward(self, x):
        _, out = self._call("forward", {"x": np.asarray(x, dtype=np.float64)}, "forward")
        return out["y"]

    def backprop(self, x, dLdy):
        answer, out = self._call("backward", {"x": np.asarray(x, dtype=np.float64),
                                              "dy": np.asarray(dLdy, dtype=np.float64)}, "backprop")
        count = int(answer.get("count", 0))
        return tuple(out[f"g{i}"] for i in range(count) if f"g{i}" in out)


class RemoteParamLayer(RemoteLayer):
    def get_weights(self):
        return tuple(self._params)

    def set_weights(self, *params):
        self._params = [np.array(p, dtype=np.float64) for p in params]


class _Split:
    """A layer with no reference, checked across two workers: forward (every finite-difference
    probe) in one, backprop in the other.  A process that saw both the probes and the upstream
    gradient could fit a "gradient" to the probes it was asked by least squares, and agree
    with finite differences without being the derivative anywhere else."""

    def __init__(self, front, back):
        self.front, self.back = front, back
        if hasattr(front, "get_weights"):
            self.get_weights, self.set_weights = front.get_weights, self._set_weights

    def _set_weights(self, *params):
        for side in (self.front, self.back):
            if hasattr(side, "set_weights"):
                side.set_weights(*params)

    def forward(self, x):
        return self.front.forward(x)

    def backprop(self, x, dLdy):
        return self.back.backprop(x, dLdy)


# -- finding what to grade ------------------------------------------------------------------

@dataclass
class Target:
    """One thing to grade: a class (or CS231n forward function) in a file, in a style."""

    name: str
    style: str
    file: Optional[Path]          # None: wanted but not found (reported as missing)
    generic: bool = False


# CPython 3.11's ast.parse is not safe in threads at once ("AST constructor recursion depth
# mismatch"): the grader parses one file at a time, whatever --jobs is.
_PARSING = threading.Lock()


# The grader's own arithmetic (the kit's references, the diagnosis) runs in the grading threads
# one at a time: some OpenBLAS builds (numpy 1.23's wheels) livelock when two threads multiply
# matrices at once.  The homework's work happens in the workers, in parallel as before.
_ARITHMETIC = threading.Lock()


class _Serialized:
    """A reference layer whose calls hold ``_ARITHMETIC``."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, x):
        with _ARITHMETIC:
            return self.layer.forward(x)

    def backprop(self, x, dLdy):
        with _ARITHMETIC:
            return self.layer.backprop(x, dLdy)


# The largest source file the grader parses, and the most it parses of one folder: a syntax
# tree takes some 250 times the file's size in the grader's memory (a 90 MB file of
# assignments took 22 GB, 1 MB took 0.5 GB and 9 s), and honest homework is a few kilobytes.
# The worker, under its memory limit, parses what it loads itself.
MAX_SOURCE = 1 << 19
MAX_SOURCES = 4 * MAX_SOURCE


def _source(file):
    """The text of a homework file; ValueError when it is over ``MAX_SOURCE`` bytes."""
    size = file.stat().st_size
    if size > MAX_SOURCE:
        raise ValueError(f"{file.name} is {size} bytes; the grader parses source files of at "
                         f"most {MAX_SOURCE} bytes")
    return file.read_text(encoding="utf-8-sig", errors="replace")   # a BOM (Notepad) is no syntax error


def _parse(source):
    with _PARSING:
        return ast.parse(source)


def _python_files(path):
    path = Path(path)
    if path.is_file():
        return [path]
    # regular files only, as the worker's copy holds (a FIFO named x.py would block the read)
    return sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts
                  and p.is_file() and not p.is_symlink())[:500]


def _methods(node):
    """The names of the methods a class body defines."""
    return {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _style_of(methods, imports_torch):
    """The style of a class named like a course layer, from its methods."""
    if "backprop" in methods or "backward" in methods:
        return "course"
    return "course_torch" if imports_torch else "course"


def find_targets(path, wanted=None, style=None):
    """Every class or function of ``path`` (a .py file or a folder) that the grader knows, in
    each style, found by parsing: no homework code runs in the grader.  ``wanted`` restricts to
    those names (any class with the layer protocol, when the grader has no suite for it);
    ``style`` forces one style."""
    found, parsed = {}, 0
    for file in _python_files(path):
        try:
            source = _source(file)
            parsed += len(source)
            if parsed > MAX_SOURCES:
                break
            tree = _parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
            continue
        imports_torch = any(isinstance(n, (ast.Import, ast.ImportFrom)) and "torch" in ast.dump(n)
                            for n in ast.walk(tree))
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        for node in tree.body:
            name = getattr(node, "name", None)
            if name is None or name in found or (wanted and name not in wanted):
                continue
            if isinstance(node, ast.ClassDef):
                methods = _methods(node)
                candidates = [s for s in STYLES if name in SPECS[s]]
                if "course" in candidates:
                    candidates = [_style_of(methods, imports_torch)]
                candidates = [c for c in candidates if c != "cs231n"]
                if "backprop" in methods:   # the course's protocol, whatever the name
                    candidates = [c for c in candidates if c not in ("mytorch", "dlfs")]
            elif (isinstance(node, ast.FunctionDef) and name in SPECS["cs231n"]
                  and (file.name == "layers.py" or style == "cs231n")):
                backward = SPECS["cs231n"][name].functions.get("backward")
                candidates = ["cs231n"] if backward is None or backward in functions else []
            else:
                continue
            if style:
                candidates = [style] if (style in candidates or name in SPECS.get(style, {})) else []
            candidates = [c for c in candidates if name in SPECS.get(c, {})]
            if candidates:
                found[name] = Target(name, candidates[0], file)
            elif wanted and isinstance(node, ast.ClassDef):
                found[name] = Target(name, style or "course", file, generic=True)
    return list(found.values())


def submission_seed(path, seed):
    """The seed a submission's inputs, weights and directions are drawn from: ``seed`` mixed
    with the SHA-256 of its source files.  Reproducible for one file, yet no file can carry
    precomputed answers for its own inputs (with seed 0 for everyone, a file could hold the
    kit's outputs for the grader's inputs and return them)."""
    digest = hashlib.sha256(str(int(seed)).encode())
    root = Path(path)
    for file in _python_files(path):
        digest.update(str(file.relative_to(root) if file != root else file.name).encode())
        digest.update(file.read_bytes()[:MAX_SOURCES])
    return int.from_bytes(digest.digest()[:4], "big")


def parse_problem(path):
    """For a single .py file that Python 3 cannot parse: what is wrong (else "")."""
    path = Path(path)
    if not path.is_file():
        return ""
    try:
        source = _source(path)
    except (ValueError, OSError) as error:
        return str(error)
    try:
        _parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return f"{path.name} does not parse: {type(error).__name__}: {error}{_python2_hint(source)}"
    return ""


def class_entries(folder):
    """The submissions of a class folder: every .py file and every sub-folder, by name."""
    folder = Path(folder)
    return sorted((p for p in folder.iterdir()
                   if not p.name.startswith((".", "__")) and (p.is_dir() or p.suffix == ".py")),
                  key=lambda p: p.name)


# -- grading one submission -----------------------------------------------------------------

class _Grading:
    """One submission's grading session (the worker and the grader's bookkeeping)."""

    def __init__(self, worker, settings, submission, root, spare=None):
        self.worker, self.settings, self.submission, self.root = worker, settings, submission, root
        self.loaded = {}
        self.handles = 0
        self.file = None
        self.spare = spare          # starts a second worker, for backprop of a generic layer
        self.twin = None

    def backprop_side(self):
        """The second worker's grading session, with the current file loaded (started once)."""
        if self.twin is None:
            self.twin = _Grading(self.spare(), self.settings, self.submission, self.root)
        self.twin.load(self.file)
        return self.twin

    def load(self, file):
        """Load ``file`` (a path inside the original submission) in the worker, once."""
        self.file = file
        if self.worker.copy.is_file():
            target, relative = self.worker.copy, Path(self.worker.copy.name)
        else:
            relative = file.relative_to(self.root)
            target = self.worker.copy / relative
        if target in self.loaded:
            return
        folders = sorted({str(p.parent) for p in self.worker.copy.rglob("*.py")}) \
            if self.worker.copy.is_dir() else []
        paths = [str(self.worker.copy if self.worker.copy.is_dir() else self.worker.copy.parent)]
        paths += [f for f in folders if f not in paths][:20]
        parts = relative.with_suffix("").parts
        module = ".".join(parts) if len(parts) > 1 and all(p.isidentifier() for p in parts) else None
        answer, _ = self.worker.request({"op": "load", "path": str(target), "paths": paths,
                                         "module": module}, what="loading")
        if not answer.get("ok"):
            raise HomeworkRaised(f"loading {relative} failed: {answer.get('error')}")
        self.submission.missing_imports += [str(m) for m in answer.get("missing_imports", [])]
        self.loaded[target] = answer.get("names", [])

    def build(self, name, spec, case):
        self.handles += 1
        handle = f"{name}#{self.handles}"
        rng = np.random.default_rng([self.settings.seed, self.handles])
        initial = spec.initial(case.config, rng) if spec.initial else []
        header = {"op": "build", "handle": handle, "name": name, "style": spec.style,
                  "seed": self.settings.seed, "initial": len(initial),
                  "options": spec.options(case.config) if spec.options else {}}
        if spec.functions:
            header["functions"] = spec.functions
        if spec.meaning:
            header["meaning"] = spec.meaning(case.config)
        if spec.calls:
            header["attempts"] = [{"args": list(a), "kwargs": k} for a, k in spec.calls(case.config)]
        answer, out = self.worker.request(header, {f"a{i}": a for i, a in enumerate(initial)},
                                          what=f"{name}.__init__")
        if not answer.get("ok"):
            raise HomeworkRaised(f"constructor raised {answer.get('error')}")
        held = [out[f"p{i}"] for i in range(int(answer.get("count", 0))) if f"p{i}" in out]
        params = _grader_parameters(held, initial, rng)
        cls = RemoteParamLayer if params else RemoteLayer
        return cls(self.worker, handle, params, name), params

    def grade_class(self, name, spec):
        s = self.settings
        report = LayerReport(name, s.method, "float64", s.step, s.trials, style=spec.style,
                             course_label=spec.label)
        course_ok = True
        for index, case in enumerate(spec.cases):
            counts = case.course or s.strict
            try:
                layer, params = self.build(name, spec, case)
                if spec.kind == "generic" and self.spare is not None:
                    layer = _Split(layer, self.backprop_side().build(name, spec, case)[0])
            except HomeworkRaised as error:
                text = str(error)
                if not case.course and "accepts none of the course's calls" in text:
                    report.warnings.append(f"{case.label}: not checked: the class does not take "
                                           f"this configuration")
                    continue
                if case.course:
                    report.error = _not_implemented(text) or text
                    return report
                report.results.append(_error_row(text, case.label, counts))
                continue
            reference, problem = None, ""
            if spec.kind in BUILDERS:
                try:
                    reference = _Serialized(BUILDERS[spec.kind](case.config, params))
                except ReferenceError_ as error:
                    problem = f"no reference possible: {error}"
            x = course_input(spec.inputs, case.shape, s.seed, index)
            keywords = dict(s.check_keywords(), trials=case.trials or s.trials)
            if spec.tolerance is not None:
                keywords["tolerance"] = spec.tolerance
            part = check_layer(layer, x, name=name, reference=reference, case=case.label,
                               counts=counts, **keywords)
            _diagnose(part, spec, case, params, reference is not None)
            if problem:
                part.results.insert(0, _error_row(problem, case.label, counts, "parameters"))
            if part.error:
                part.results.append(_error_row(_not_implemented(part.error) or part.error,
                                               case.label, counts))
            report.results += part.results
            report.warnings += [w for w in part.warnings if w not in report.warnings]
            if case.course:
                course_ok = all(r.status == "ok" for r in part.results)
            elif course_ok and any(r.status != "ok" for r in part.results):
                report.warnings.append(
                    f"right on the course's shapes, wrong on {case.label}"
                    + (f": the code assumes {case.probes}" if case.probes else ""))
        if spec.ties is not None:
            case = spec.ties
            try:
                layer, params = self.build(name, spec, case)
                reference = _Serialized(BUILDERS[spec.kind](case.config, params))
                row = tie_rule_row(layer, reference, tie_input(case.shape, s.seed),
                                   case.config["pool"], case.config["stride"],
                                   np.random.default_rng([s.seed, 3]), counts=s.strict)
                report.results.append(row)
            except (HomeworkRaised, ReferenceError_) as error:
                report.results.append(_error_row(str(error), case.label, s.strict, "dLdx (ties)"))
        return report


def _grader_parameters(held, initial, rng):
    """The parameters every check of a layer runs with, drawn by the grader: the homework's
    constructor only tells their shapes (``held``).  A constructor that sets W = 0 would make
    the reference's forward and dLdx vanish, so that a forward ignoring W agreed with it.  The
    grader's own draws (``initial``) when the homework holds them in the same shapes, else
    normal values in the homework's shapes; they travel with every call."""
    if len(initial) == len(held) and all(np.shape(a) == np.shape(h)
                                         for a, h in zip(initial, held)):
        return [np.array(a, dtype=np.float64) for a in initial]
    return [rng.normal(0.0, 1.0, np.shape(h)) for h in held]


_PARAM_NAMES = {"batchnorm": ("gamma", "beta")}


def _diagnose(part, spec, case, params, has_reference):
    """Say what each failed row of ``part`` is: the known mistake it matches (against the
    reference), or, with no reference, where the finite differences disagree most."""
    names = _PARAM_NAMES.get(spec.kind, ("W", "b"))
    context = {"kind": spec.kind, "config": case.config, "x": part.inputs.get("x"),
               "dy": part.inputs.get("dy"), "params": dict(zip(names, params))}
    for row in part.results:
        if row.status != "FAIL":
            continue
        if row.got is not None and not np.any(row.got) and np.any(row.expected):
            row.diagnosis = [f"{row.gradient} is all zeros where the right one is not: "
                             f"not implemented yet, or never written?"]
            row.worst = worst_elements(row.expected, row.got)
        elif has_reference:
            with _ARITHMETIC:
                diagnose_result(row, context)
        elif row.probe is not None and row.probe[2] is not None:
            evaluate, point, grad = row.probe
            try:
                worst = localise(evaluate, point, grad, part.inputs["dy"])
            except (HomeworkRaised, ValueError, TypeError):
                continue
            row.worst = [(index, numeric, analytic) for index, numeric, analytic in worst]
            row.diagnosis = [f"{row.gradient} disagrees most with the numeric derivative at "
                             + ", ".join(f"{tuple(map(int, i))} (numeric {n:.6g}, backprop {a:.6g})"
                                         for i, n, a in worst)]


def _not_implemented(message):
    """A clearer line for an unfilled handout template (None, NotImplemented, TODO)."""
    text = str(message)
    markers = ("NotImplementedError", "returned None", "NotImplementedType", "'NoneType' object",
               "TODO")
    if any(marker in text for marker in markers) or "not implemented" in text.lower():
        return text if text.startswith("not implemented") else (
            f"not implemented (an unfilled template?): {text}")
    return ""


def _error_row(message, case, counts, name="checks"):
    return GradientResult(name, float("nan"), error=message, case=case, counts=counts)


def grade_submission(path: "str | Path", settings: Settings, *, names: Any = None,
                     label: Optional[str] = None, style: Optional[str] = None,
                     forbidden_reads: Any = (), extra_files: Any = (),
                     tripwire: Any = None) -> Submission:
    """Grade one submission (a .py file or a folder) in a fresh worker.

    ``names``: what to grade (``FILE:Name``); default every class or function the grader
    knows, in any style (``style`` forces one).  The course's first assignment holds both
    ``nn_convolutional_layer`` and a max-pool class: a missing one is a failed check.
    Returns a ``Submission``; raises only ``GraderTampered`` (the grader's own files changed).
    """
    path = Path(path)
    submission = Submission(label or path.name, isolation=isolation_note())
    started = time.monotonic()
    problem = parse_problem(path)
    if problem:
        submission.error = problem
        return submission
    targets = find_targets(path, names, style)
    settings = dataclasses.replace(settings, seed=submission_seed(path, settings.seed))
    if names:
        present = {t.name for t in targets}
        targets += [Target(n, style or "course", None) for n in names if n not in present]
    elif any(t.name in CONV_NAMES + POOL_NAMES and t.style == "course" for t in targets):
        for group in (CONV_NAMES, POOL_NAMES):
            if not any(t.name in group for t in targets):
                position = 0 if group is CONV_NAMES else len(targets)
                targets.insert(position, Target(group[0], "course", None))
    if not targets:
        submission.error = (f"nothing the grader knows was found in {path.name}: no class or "
                            f"function of the styles it grades ({', '.join(STYLES)}); name one "
                            f"with FILE:Name to check any class with the layer protocol")
        submission.seconds = time.monotonic() - started
        return submission
    preload = ["torch"] if any(t.style == "course_torch" for t in targets) and \
        _torch_available() else []

    def start_worker():
        return Worker(path, timeout=settings.timeout, memory=settings.memory,
                      forbidden_reads=forbidden_reads, extra_files=extra_files, preload=preload)
    try:
        worker = start_worker()
    except (OSError, ValueError) as error:
        submission.error = f"could not start a worker: {describe_error(error)}"
        return submission
    grading = _Grading(worker, settings, submission, path if path.is_dir() else path.parent,
                       spare=start_worker)
    try:
        for target in targets:
            spec = generic_spec(settings.shape) if target.generic else spec_for(target.name, target.style)
            if target.file is None:
                groups = [g for g in (CONV_NAMES, POOL_NAMES) if target.name in g]
                reason = (f"no class {' or '.join(groups[0])} found" if groups and not names
                          else f"{path.name} defines no class {target.name!r}")
                failed = LayerReport.failed(target.name, reason, target.style)
                failed.course_label = spec.label if spec else ""
                submission.reports.append(failed)
                continue
            if target.style == "course_torch" and not _torch_available():
                failed = LayerReport.failed(target.name, "the course's torch edition needs torch "
                                            "at grading time; torch is not installed: not graded",
                                            target.style)
                submission.reports.append(failed)
                continue
            try:
                grading.load(target.file)
            except HomeworkRaised as error:
                submission.error = str(error)
                break
            submission.reports.append(grading.grade_class(target.name, spec))
    except WorkerEnded as error:
        submission.error = error.reason
    except (OSError, ValueError) as error:       # the second worker could not start
        submission.error = f"could not start a worker: {describe_error(error)}"
    finally:
        _finish(submission, worker, grading.twin and grading.twin.worker)
        submission.seconds = time.monotonic() - started
    if tripwire is not None:
        tripwire.check(submission.name)
    return submission


def _finish(submission, worker, second=None):
    """Close the submission's worker(s); keep their output and what they refused."""
    worker.close()
    submission.output = worker.output()
    submission.denied = list(worker.denied)
    if second is not None:
        second.close()
        for stream, text in second.output().items():
            if text.strip():
                submission.output[stream] += f"\n[the second worker, which ran backprop]\n{text}"
        submission.denied += second.denied


def _torch_available():
    import importlib.util
    return importlib.util.find_spec("torch") is not None


def grade_class(folder: "str | Path", settings: Settings, *, jobs: int = 1,
                progress: Any = None) -> "list[Submission]":
    """Grade every entry of a class folder, ``jobs`` workers at a time; results in name order.

    ``progress`` is called with each finished ``Submission``.  Raises ``GraderTampered`` when
    the grader's own files changed (grading stops at that submission).
    """
    folder = Path(folder)
    entries = class_entries(folder)
    tripwire = Tripwire(grader_folders())

    def one(entry):
        if entry.is_symlink():      # eve.py -> alice.py would be graded as alice's work
            result = Submission(entry.name, error=f"{entry.name} is a symbolic link: not graded "
                                f"(a submission is a file or folder of its own)")
        else:
            result = grade_submission(entry, settings, forbidden_reads=[folder],
                                      tripwire=tripwire)
        if progress is not None:
            progress(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, entries))


__all__ += ["GraderTampered"]
