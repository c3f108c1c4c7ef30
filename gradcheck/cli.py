"""``python -m gradcheck``: the course's gradient accuracy script, and the grader.

    python -m gradcheck                          every layer of the kit (in this process)
    python -m gradcheck hw.py                    the course's classes in a homework file
    python -m gradcheck hw.py:nn_maxpool_layer   one class, with its suite's settings
    python -m gradcheck grade DIR --csv grades.csv [--jobs N] [--timeout S]

Homework code runs only in a worker process (see ``sandbox``); every figure and verdict is
computed here.  Exit status: 0 passed, 1 failed, 2 the grader itself could not work (bad
arguments, its own files changed).  ``grade`` exits 0 whenever grading completed.
"""

import argparse
import functools
import json
import sys
import warnings
from pathlib import Path

import numpy as np

from .grade import Settings, Submission, grade_class, grade_submission
from .kit import KIT_CASES, kit_reports
from .numeric import MAX_TRIALS, check_tie_rule
from .report import gradescope_results, submission_text, to_json, write_csv
from .sandbox import GraderTampered, Tripwire, grader_folders
from .suites import SPECS, STYLES, construct_layer, course_input, generic_spec, spec_for, tie_input

__all__ = ["main", "build_parser"]


def _shape(text):
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text!r}") from None
    if not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"every size must be >= 1, got {text!r}")
    return shape


def _positive(kind, maximum=None):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be <= {maximum}, got {text}")
        return value
    return parse


def _memory(text):
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = text.strip().lower().rstrip("ib")
    scale = units.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in units else text
    try:
        value = int(float(number) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size such as 4G or 512M, got {text!r}") from None
    if value < 64 << 20:
        raise argparse.ArgumentTypeError("the memory limit must be at least 64M")
    return value


def _common(parser):
    parser.add_argument("--trials", type=_positive(int, MAX_TRIALS), default=20,
                        help="random directions per gradient (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--threshold", type=float, default=99.9,
                        help="percent agreement a gradient with no reference needs (default 99.9)")
    parser.add_argument("--step", type=_positive(float), default=1e-3,
                        help="finite-difference step, the course's dt (default 1e-3)")
    parser.add_argument("--method", choices=("central", "forward"), default="central",
                        help="central differences (default) or the course's forward ones")
    parser.add_argument("--upstream", choices=("normal", "ones"), default="normal",
                        help="upstream gradient: random normal (default) or the course's ones")
    parser.add_argument("--strict", action="store_true",
                        help="count the tie rule and the shapes the course never varies")
    parser.add_argument("--timeout", type=_positive(float), default=60.0,
                        help="wall-clock seconds per submission (default 60)")
    parser.add_argument("--memory", type=_memory, default=4 << 30,
                        help="address-space limit per submission, e.g. 4G (default 4G)")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="gradcheck",
        description="Check layers' forward and backprop: against the kit's reference and the "
                    "course's finite-difference measure. Homework runs in an isolated worker.")
    parser.add_argument("target", nargs="?",
                        help="a homework .py file or folder, or FILE:Class for one class; "
                             "default: the kit itself")
    _common(parser)
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="dtype the kit's own check runs in (default float64)")
    parser.add_argument("--shape", type=_shape, default=(8, 3, 32, 32),
                        help="input shape for a FILE:Class the grader has no suite for")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document instead of text")
    parser.add_argument("--gradescope", metavar="FILE",
                        help="also write Gradescope's results.json to FILE")
    parser.add_argument("--list", action="store_true",
                        help="name what would be checked, and in which style, then stop")
    parser.add_argument("--style", choices=STYLES,
                        help="grade as this style only (default: recognise each class's style)")
    parser.add_argument("--plot", metavar="DIR",
                        help="write a PNG error map per failed check into DIR")
    parser.add_argument("--quiet", action="store_true", help="leave out the per-trial lines")
    parser.add_argument("--verbose", action="store_true",
                        help="add the course's per-trial 'exact change' / 'apprx change' lines")
    return parser


def build_grade_parser():
    parser = argparse.ArgumentParser(
        prog="gradcheck grade",
        description="Grade a class: every .py file or folder in DIR is one submission, graded "
                    "in its own worker. Exit status 0 when grading completed.")
    parser.add_argument("folder", help="the class folder")
    parser.add_argument("--csv", required=True, help="the CSV file to write")
    parser.add_argument("--jobs", type=_positive(int), default=1,
                        help="submissions graded at once (default 1)")
    parser.add_argument("--gradescope-dir", metavar="DIR",
                        help="also write DIR/<submission>.json in Gradescope's format")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    _common(parser)
    return parser


def _settings(args):
    return Settings(trials=args.trials, seed=args.seed, threshold=args.threshold, step=args.step,
                    method=args.method, upstream=args.upstream, strict=args.strict,
                    timeout=args.timeout, memory=args.memory,
                    shape=getattr(args, "shape", (8, 3, 32, 32)))


def _settings_line(target, args):
    return (f"gradcheck: {target}: {args.method} differences, step {args.step:g}, float64, "
            f"{args.trials} trials, seed {args.seed}, upstream {args.upstream}, "
            f"{'strict' if args.strict else 'default'} policy")


# -- the kit (trusted: checked in this process) ----------------------------------------------

def _kit_submission(args):
    import nnlayers

    keywords = {"trials": args.trials, "seed": args.seed, "threshold": args.threshold,
                "step": args.step, "method": args.method, "upstream": args.upstream,
                "dtype": np.dtype(args.dtype)}
    reports = []
    conv_spec, pool_spec = spec_for("nn_convolutional_layer"), spec_for("nn_maxpool_layer")
    from .numeric import check_layer
    for label, factory, spec in (
            ("conv layer", functools.partial(_course_conv, nnlayers, args.seed), conv_spec),
            ("maxpool layer", functools.partial(nnlayers.nn_maxpool_layer, 2, 2), pool_spec)):
        layer, failed = construct_layer(label, factory)
        if failed:
            reports.append(failed)
            continue
        case = spec.cases[0]
        report = check_layer(layer, course_input(spec.inputs, case.shape, args.seed),
                             name=label, case=case.label, **keywords)
        if spec.ties is not None:
            ties = check_tie_rule(layer, tie_input(spec.ties.shape, args.seed), name=label,
                                  trials=args.trials, seed=args.seed, threshold=args.threshold)
            report.results += ties.results
        reports.append(report)
    reports += kit_reports(keywords)
    return Submission("nnlayers", reports=reports)


def _course_conv(nnlayers, seed):
    c = spec_for("nn_convolutional_layer").cases[0].config
    return nnlayers.nn_convolutional_layer(*c["kernel"], c["input_size"], c["channels"],
                                           c["filters"], rng=seed)


# -- targets ----------------------------------------------------------------------------------

def _split_target(target):
    """``(path, class name or None)`` for 'hw.py', 'folder', 'hw.py:Name', 'module:Name'.

    A dotted module name is found on ``sys.path`` as a file, without importing it (importing
    would run its code in the grader's process)."""
    path, name = target, None
    if ":" in target and not Path(target).exists():
        path, _, name = target.rpartition(":")
    if not Path(path).exists() and path.replace(".", "").replace("_", "").isalnum():
        parts = path.split(".")
        for root in [Path.cwd()] + [Path(p) for p in sys.path if p]:
            for candidate in (root.joinpath(*parts).with_suffix(".py"),
                              root.joinpath(*parts) / "__init__.py"):
                if candidate.is_file():
                    return candidate, (name or None)
    return Path(path), (name or None)


def _siblings(path):
    if not path.is_file():
        return []
    return sorted(p for p in path.parent.glob("*.py") if p != path)[:50]


def _plot(submission, folder):
    """One PNG error map per failed row that has the reference's array."""
    from .errormap import plot_error_map
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for report in submission.reports:
        for index, row in enumerate(report.results):
            if row.status == "ok" or row.expected is None or row.got is None:
                continue
            if np.shape(row.expected) != np.shape(row.got) or np.ndim(row.got) < 2:
                continue
            stem = "".join(c if c.isalnum() else "_" for c in f"{report.layer}_{row.gradient}")
            path = folder / f"{stem}_{index:02d}.png"
            plot_error_map(row.expected, row.got, f"{report.layer} {row.gradient}, {row.case}", path)
            written.append(path)
    return written


def _emit(submission, args, target):
    if args.plot:
        for path in _plot(submission, args.plot):
            if not args.json:
                print(f"error map: {path}")
    if args.gradescope:
        _write_json(args.gradescope, gradescope_results(submission))
    if args.json:
        print(to_json([submission], _shown_settings(args, target)))
    else:
        print(submission_text(submission, _settings_line(target, args), verbose=args.verbose,
                              strict=args.strict))
    return 0 if submission.passed else 1


def _shown_settings(args, target):
    return {"target": target, "policy": "strict" if args.strict else "default",
            "trials": args.trials, "seed": args.seed, "threshold": args.threshold,
            "step": args.step, "method": args.method, "upstream": args.upstream,
            "timeout": args.timeout, "memory": args.memory}


def _write_json(path, document):
    Path(path).write_text(json.dumps(document, indent=2), encoding="utf-8")


def _list(target, args):
    if target is None:
        names = ["conv layer (the course's shapes)", "maxpool layer (the course's shapes)"]
        names += [label for label, _, _ in KIT_CASES]
        print("\n".join(names))
        return 0
    from .grade import find_targets
    path, name = _split_target(target)
    targets = find_targets(path, [name] if name else None, args.style) if path.exists() else []
    if not targets:
        print(f"{target}: nothing the grader knows (styles: {', '.join(STYLES)}); "
              f"FILE:Name checks any class with the layer protocol")
        return 1
    for found in targets:
        spec = generic_spec(args.shape) if found.generic else spec_for(found.name, found.style)
        where = found.file.relative_to(path) if path.is_dir() else found.file.name
        cases = "; ".join(case.label for case in spec.cases) + ("; ties" if spec.ties else "")
        print(f"{found.name}  [{found.style if not found.generic else 'any (no reference)'}] "
              f"in {where}: {cases}")
    return 0


def _grade_one(target, args):
    path, name = _split_target(target)
    if not path.exists():
        print(f"gradcheck: error: no such file or folder: {path}", file=sys.stderr)
        return 2
    tripwire = Tripwire(grader_folders())
    try:
        submission = grade_submission(path, _settings(args), names=[name] if name else None,
                                      label=target, style=args.style,
                                      extra_files=_siblings(path), tripwire=tripwire)
    except GraderTampered as error:
        print(f"gradcheck: error: {error}", file=sys.stderr)
        return 2
    return _emit(submission, args, target)


def _grade_class(argv):
    args = build_grade_parser().parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"gradcheck grade: error: {folder} is not a folder", file=sys.stderr)
        return 2
    from .grade import class_entries
    entries = class_entries(folder)
    bar = None
    if not args.no_progress:
        from tqdm import tqdm
        bar = tqdm(total=len(entries), desc="grading", unit="submission", file=sys.stderr)
    try:
        submissions = grade_class(folder, _settings(args), jobs=args.jobs,
                                  progress=(lambda s: bar.update(1)) if bar else None)
    except GraderTampered as error:
        print(f"gradcheck grade: error: {error}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    write_csv(submissions, args.csv)
    if args.gradescope_dir:
        out = Path(args.gradescope_dir)
        out.mkdir(parents=True, exist_ok=True)
        for submission in submissions:
            _write_json(out / f"{Path(submission.name).stem}.json", gradescope_results(submission))
    passed = sum(s.passed for s in submissions)
    print(f"graded {len(submissions)} submissions into {args.csv}: {passed} passed, "
          f"{len(submissions) - passed} failed")
    return 0


def main(argv: "list[str] | None" = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "grade":
        return _grade_class(argv[1:])
    args = build_parser().parse_args(argv)
    if args.list:
        return _list(args.target, args)
    if args.target is not None:
        return _grade_one(args.target, args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reports carry the warnings; printed below
        submission = _kit_submission(args)
    if args.json:
        print(to_json([submission], _shown_settings(args, "nnlayers")))
        return 0 if submission.passed else 1
    args.verbose = args.verbose and not args.quiet
    print(submission_text(submission, _settings_line("the nnlayers kit", args),
                          verbose=args.verbose, strict=args.strict))
    return 0 if submission.passed else 1


if __name__ == "__main__":
    sys.exit(main())
