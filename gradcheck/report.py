"""Formatting of gradcheck reports: the course's lines, a summary table, JSON."""

import json
import math

__all__ = ["course_lines", "accuracy_lines", "summary_table", "to_json"]


def _percent(value):
    return "n/a" if math.isnan(value) else f"{value:.12f} %"


def course_lines(report):
    """The course's per-trial lines: '<layer> <gradient> test', 'exact change', 'apprx change'."""
    lines = []
    if report.error:
        return [f"{report.layer}: could not be checked: {report.error}"]
    for result in report.results:
        lines.append(f"{report.layer} {result.gradient} test")
        if result.error:
            lines.append(f"  error: {result.error}")
        for exact, approx, kinked in zip(result.exact, result.approx, result.kinked):
            mark = "   (kink crossed: left out)" if kinked else ""
            lines.append(f"exact change {exact!r}{mark}")
            lines.append(f"apprx change {approx!r}{mark}")
    return lines


def accuracy_lines(reports):
    """'accuracy results' then one line per gradient: 'conv layer dLdx 99.99999 %'."""
    lines = ["accuracy results"]
    for report in reports:
        if report.error:
            lines.append(f"{report.layer} FAILED: {report.error}")
            continue
        for result in report.results:
            if result.status == "error":
                lines.append(f"{report.layer} {result.gradient} FAILED: {result.error}")
            elif result.status == "kink":
                lines.append(f"{report.layer} {result.gradient} inconclusive: every trial "
                             f"crossed a kink (ties in the input?)")
            else:
                lines.append(f"{report.layer} {result.gradient} {_percent(result.agreement)}")
    return lines


def summary_table(reports):
    """A fixed-width table: layer, gradient, trials, kinks, agreement, status."""
    header = f"{'layer':<16} {'gradient':<12} {'trials':>6} {'kinks':>5} {'agreement':>20}  status"
    lines = [header, "-" * len(header)]
    for report in reports:
        if report.error:
            lines.append(f"{report.layer:<16} {'-':<12} {'-':>6} {'-':>5} {'n/a':>20}  error")
            continue
        for r in report.results:
            lines.append(f"{report.layer:<16} {r.gradient:<12} {len(r.exact):>6} "
                         f"{sum(r.kinked):>5} {_percent(r.agreement):>20}  {r.status}")
            if r.note:
                lines.append(f"{'':<16} note: {r.note}")
    return lines


def to_json(reports, settings):
    """A JSON document: the settings, every layer's report, and the overall verdict."""
    def clean(value):  # JSON has no NaN
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    document = {
        "settings": settings,
        "passed": all(r.passed for r in reports),
        "layers": [r.to_dict() for r in reports],
    }
    return json.dumps(clean(document), indent=2)
