"""Grading: one submission in its own worker, a whole class folder, Gradescope's format.

    grade_submission("hw.py", settings)            -> Submission (reports per class, verdict)
    grade_class("class_dir", settings, jobs=2)     -> [Submission, ...] in name order

The grader's side of every check runs here: it draws the inputs, directions and upstream
gradients, asks the worker (``sandbox.Worker``) for the homework's forward and backprop
through a ``RemoteLayer`` proxy, and computes every score, verdict and diagnosis itself.
"""

import ast
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .loading import _python2_hint
from .numeric import LayerReport, check_layer, describe_error
from .reference import ReferenceError_, tie_rule_row
from .sandbox import GraderTampered, Tripwire, Worker, WorkerEnded, grader_folders, isolation_note
from .suites import (COURSE_SPECS, CONV_NAMES, POOL_NAMES, course_input, generic_spec, spec_for,
                     tie_input)

__all__ = ["Settings", "Submission", "RemoteLayer", "HomeworkRaised", "grade_submission",
           "grade_class", "find_classes", "class_entries"]


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


# -- finding what to grade ------------------------------------------------------------------

def find_classes(path, wanted=None):
    """``{class name: file}`` for the classes of ``path`` (a .py file or a folder) that the
    grader knows (or, given ``wanted``, those names), found by parsing: no homework code runs
    in the grader."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.py")
                                                  if "__pycache__" not in p.parts)[:500]
    found = {}
    for file in files:
        try:
            tree = ast.parse(file.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
            continue
        for node in tree.body:
            if not isinstance(node, ast.ClassDef) or node.name in found:
                continue
            if (node.name in wanted) if wanted else (spec_for(node.name) is not None):
                found[node.name] = file
    return found


def parse_problem(path):
    """For a single .py file that Python 3 cannot parse: what is wrong (else "")."""
    path = Path(path)
    if not path.is_file():
        return ""
    source = path.read_text(encoding="utf-8", errors="replace")
    try:
        ast.parse(source)
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

    def __init__(self, worker, settings, submission):
        self.worker, self.settings, self.submission = worker, settings, submission
        self.loaded = {}
        self.handles = 0

    def load(self, file):
        relative = file.name if self.worker.copy.is_file() else None
        target = self.worker.copy if relative else self.worker.copy / file
        if target not in self.loaded:
            answer, _ = self.worker.request({"op": "load", "path": str(target)}, what="loading")
            if not answer.get("ok"):
                raise HomeworkRaised(f"loading {file.name} failed: {answer.get('error')}")
            self.submission.missing_imports += [str(m) for m in answer.get("missing_imports", [])]
            self.loaded[target] = answer.get("names", [])
        return target

    def build(self, name, spec, case):
        self.handles += 1
        handle = f"{name}#{self.handles}"
        attempts = [{"args": list(a), "kwargs": k} for a, k in spec.constructors(case.config)]
        answer, out = self.worker.request(
            {"op": "build", "handle": handle, "name": name, "style": spec.style,
             "attempts": attempts, "seed": self.settings.seed}, what=f"{name}.__init__")
        if not answer.get("ok"):
            raise HomeworkRaised(f"constructor raised {answer.get('error')}")
        params = [out[f"p{i}"] for i in range(int(answer.get("count", 0))) if f"p{i}" in out]
        cls = RemoteParamLayer if params else RemoteLayer
        return cls(self.worker, handle, params, name), params

    def grade_class(self, name, spec):
        s = self.settings
        report = LayerReport(name, s.method, "float64", s.step, s.trials, style=spec.style)
        report.course_label = spec.label
        for case in spec.cases:
            counts = case.course or s.strict
            try:
                layer, params = self.build(name, spec, case)
            except HomeworkRaised as error:
                if case.course:
                    report.error = str(error)
                    return report
                report.results.append(_error_row(str(error), case.label, counts))
                continue
            reference, problem = None, ""
            if spec.reference is not None:
                try:
                    reference = spec.reference(case.config, params)
                except ReferenceError_ as error:
                    problem = f"no reference possible: {error}"
            x = course_input(spec.inputs, case.shape, s.seed)
            keywords = dict(s.check_keywords(), trials=case.trials or s.trials)
            part = check_layer(layer, x, name=name, reference=reference, case=case.label,
                               counts=counts, **keywords)
            if problem:
                part.results.insert(0, _error_row(problem, case.label, counts, "parameters"))
            if part.error:
                part.results.append(_error_row(part.error, case.label, counts))
            report.results += part.results
            report.warnings += [w for w in part.warnings if w not in report.warnings]
        if spec.ties is not None:
            case = spec.ties
            try:
                layer, params = self.build(name, spec, case)
                reference = spec.reference(case.config, params)
                row = tie_rule_row(layer, reference, tie_input(case.shape, s.seed),
                                   case.config["pool"], case.config["stride"],
                                   np.random.default_rng([s.seed, 3]), counts=s.strict)
                report.results.append(row)
            except (HomeworkRaised, ReferenceError_) as error:
                report.results.append(_error_row(str(error), case.label, s.strict, "dLdx (ties)"))
        return report


def _error_row(message, case, counts, name="checks"):
    from .numeric import GradientResult
    return GradientResult(name, float("nan"), error=message, case=case, counts=counts)


def grade_submission(path, settings, *, names=None, label=None, forbidden_reads=(),
                     extra_files=(), tripwire=None):
    """Grade one submission (a .py file or a folder) in a fresh worker.

    ``names``: the classes to grade (``FILE:Name``); default every class the grader knows
    that the submission defines (the course's two classes are both expected).
    Returns a ``Submission``; raises only ``GraderTampered`` (the grader's own files changed).
    """
    path = Path(path)
    submission = Submission(label or path.name, isolation=isolation_note())
    started = time.monotonic()
    problem = parse_problem(path)
    if problem:
        submission.error = problem
        return submission
    found = find_classes(path, names)
    wanted = list(names) if names else list(found)
    missing = {}
    if not names and any(n in found for n in CONV_NAMES + POOL_NAMES):
        # the course's file holds both classes: a missing one is a failed check, in its place
        for group in (CONV_NAMES, POOL_NAMES):
            if not any(n in found for n in group):
                wanted.insert(0 if group is CONV_NAMES else len(wanted), group[0])
                missing[group[0]] = f"no class {' or '.join(group)} found"
    if not wanted:
        submission.error = (f"no class the grader knows was found in {path.name} (looked for "
                            f"{', '.join(sorted(COURSE_SPECS))})")
        submission.seconds = time.monotonic() - started
        return submission
    try:
        worker = Worker(path, timeout=settings.timeout, memory=settings.memory,
                        forbidden_reads=forbidden_reads, extra_files=extra_files)
    except (OSError, ValueError) as error:
        submission.error = f"could not start a worker: {describe_error(error)}"
        return submission
    grading = _Grading(worker, settings, submission)
    try:
        for name in wanted:
            spec = spec_for(name) or generic_spec(settings.shape)
            file = found.get(name)
            if file is None:
                submission.reports.append(LayerReport.failed(
                    name, missing.get(name, f"{path.name} defines no class {name!r}"), spec.style))
                continue
            try:
                grading.load(file.relative_to(path) if path.is_dir() else file)
            except HomeworkRaised as error:
                submission.error = str(error)
                break
            submission.reports.append(grading.grade_class(name, spec))
    except WorkerEnded as error:
        submission.error = error.reason
    finally:
        worker.close()
        submission.output = worker.output()
        submission.denied = list(worker.denied)
        submission.seconds = time.monotonic() - started
    if tripwire is not None:
        tripwire.check(submission.name)
    return submission


def grade_class(folder, settings, *, jobs=1, progress=None):
    """Grade every entry of a class folder, ``jobs`` workers at a time; results in name order.

    ``progress`` is called with each finished ``Submission``.  Raises ``GraderTampered`` when
    the grader's own files changed (grading stops at that submission).
    """
    folder = Path(folder)
    entries = class_entries(folder)
    tripwire = Tripwire(grader_folders())

    def one(entry):
        result = grade_submission(entry, settings, forbidden_reads=[folder], tripwire=tripwire)
        if progress is not None:
            progress(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, entries))


__all__ += ["GraderTampered"]
