"""``python -m gradcheck [TARGET]``: the course's gradient accuracy script, for any layer file.

    python -m gradcheck                      every layer of the kit
    python -m gradcheck my_layers.py         the course's classes defined in a homework file
    python -m gradcheck mypkg.layers         the same, from an importable module
    python -m gradcheck my_layers.py:MyReLU  one class (built with no arguments) or instance

Exit status 0 only when every gradient reaches the threshold.
"""

import argparse
import functools
import sys
import warnings

import numpy as np

from .loading import LoadError, resolve_target
from .kit import KIT_CASES, kit_reports
from .numeric import LayerReport
from .report import accuracy_lines, course_lines, summary_table, to_json
from .suites import (
    CONV_NAMES,
    POOL_NAMES,
    course_reports,
    make_course_conv,
    make_course_pool,
    single_report,
)

__all__ = ["main"]


def _shape(text):
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text!r}") from None
    if not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"every size must be >= 1, got {text!r}")
    return shape


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="gradcheck",
        description="Check a layer's backprop against finite differences of its forward "
                    "(the course's gradient accuracy measure).")
    parser.add_argument("target", nargs="?",
                        help="a .py file or module defining nn_convolutional_layer / "
                             "nn_maxpool_layer, or FILE_OR_MODULE:NAME for one layer class "
                             "(built with no arguments) or instance; default: the kit")
    parser.add_argument("--trials", type=_positive_int, default=20,
                        help="random directions per gradient (default 20, the course's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--threshold", type=float, default=99.9,
                        help="percent agreement every gradient must reach (default 99.9)")
    parser.add_argument("--step", type=float, default=1e-3,
                        help="finite-difference step, the course's dt (default 1e-3)")
    parser.add_argument("--method", choices=("central", "forward"), default="central",
                        help="central differences (default) or the course's forward ones")
    parser.add_argument("--upstream", choices=("normal", "ones"), default="normal",
                        help="upstream gradient: random normal (default) or the course's ones")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="dtype the check runs in (default float64)")
    parser.add_argument("--shape", type=_shape, default=(8, 3, 32, 32),
                        help="input shape for FILE_OR_MODULE:NAME targets (default 8,3,32,32)")
    parser.add_argument("--json", action="store_true", help="print a JSON report instead")
    parser.add_argument("--list", action="store_true",
                        help="name the layers that would be checked, then stop")
    parser.add_argument("--quiet", action="store_true",
                        help="leave out the per-trial 'exact change' / 'apprx change' lines")
    return parser


def _kit_reports(settings):
    import nnlayers

    seed = settings["seed"]
    conv = functools.partial(nnlayers.nn_convolutional_layer, rng=seed)
    course = course_reports(lambda: make_course_conv(conv, seed),
                            lambda: make_course_pool(nnlayers.nn_maxpool_layer), settings)
    return course + kit_reports(settings)


def _target_reports(target, shape, settings):
    try:
        module, attribute = resolve_target(target)
    except LoadError as error:
        return [LayerReport.failed(target, str(error))]
    seed = settings["seed"]
    for missing in getattr(module, "__missing_imports__", []):
        print(f"note: {target}: an import failed and was skipped ({missing})")
    if attribute is None:
        conv = next((getattr(module, n) for n in CONV_NAMES if hasattr(module, n)), None)
        pool = next((getattr(module, n) for n in POOL_NAMES if hasattr(module, n)), None)
        return course_reports(conv and (lambda: make_course_conv(conv, seed)),
                              pool and (lambda: make_course_pool(pool)), settings)
    obj = getattr(module, attribute)
    if attribute in CONV_NAMES:
        return course_reports(lambda: make_course_conv(obj, seed), None, settings)[:1]
    if attribute in POOL_NAMES:
        return course_reports(None, lambda: make_course_pool(obj), settings)[1:]
    return [single_report(attribute, obj, shape, settings)]


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.list:
        if args.target is None:
            names = ["conv layer (the course's shapes)", "maxpool layer (the course's shapes)"]
            names += [label for label, _, _ in KIT_CASES]
        else:
            names = [f"{args.target}: {', '.join(CONV_NAMES + POOL_NAMES)} if defined, "
                     f"or the named class"]
        print("\n".join(names))
        return 0
    settings = {"trials": args.trials, "seed": args.seed, "threshold": args.threshold,
                "step": args.step, "method": args.method, "upstream": args.upstream,
                "dtype": np.dtype(args.dtype)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reports carry the warnings; printed below
        if args.target is None:
            reports = _kit_reports(settings)
        else:
            reports = _target_reports(args.target, args.shape, settings)
    passed = all(report.passed for report in reports)

    if args.json:
        shown = dict(settings, dtype=args.dtype, target=args.target or "nnlayers")
        print(to_json(reports, shown))
        return 0 if passed else 1

    print(f"gradcheck: {args.target or 'the nnlayers kit'}: {args.method} differences, "
          f"step {args.step:g}, {args.dtype}, {args.trials} trials, seed {args.seed}, "
          f"upstream {args.upstream}, threshold {args.threshold:g} %")
    if not args.quiet:
        for report in reports:
            print("\n".join(course_lines(report)))
    for report in reports:
        for message in report.warnings:
            print(f"warning: {report.layer}: {message}")
    print("\n".join(accuracy_lines(reports)))
    print()
    print("\n".join(summary_table(reports)))
    print(f"\n{'PASSED' if passed else 'FAILED'}: every gradient "
          f"{'reaches' if passed else 'must reach'} {args.threshold:g} %")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
