"""Rendering reports: the course's lines, a table, JSON, a class CSV, Gradescope's results.json.

Everything here formats figures the grader computed; nothing is computed from homework code.
Numbers are printed as plain numbers (``99.999999 %``, never ``np.float64(...)``).
"""

import csv
import json
import math
import re

__all__ = ["course_lines", "accuracy_lines", "check_table", "submission_text", "to_json",
           "write_csv", "gradescope_results"]


def _number(value):
    """A JSON-safe plain float (NaN and inf become None)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _percent(value):
    return "n/a" if value is None or math.isnan(value) else f"{float(value):.12f} %"


def _label(report):
    return getattr(report, "course_label", "") or report.layer


def _course_rows(report):
    """The rows the course's script prints: gradients of the course's own configuration."""
    return [r for r in report.results
            if r.kind == "gradient" and r.case in ("", "course shapes")]


def course_lines(report):
    """The course's per-trial lines: '<layer> <gradient> test', 'exact change', 'apprx change'."""
    if report.error:
        return [f"{_label(report)}: could not be checked: {report.error}"]
    lines = []
    for result in _course_rows(report):
        lines.append(f"{_label(report)} {result.gradient} test")
        if result.error:
            lines.append(f"  error: {result.error}")
        for exact, approx, kinked in zip(result.exact, result.approx, result.kinked):
            mark = "   (kink crossed: left out)" if kinked else ""
            lines.append(f"exact change {float(exact)!r}{mark}")
            lines.append(f"apprx change {float(approx)!r}{mark}")
    return lines


def accuracy_lines(reports):
    """'accuracy results' then one line per gradient: 'conv layer dLdx 99.99999 %'."""
    lines = ["accuracy results"]
    for report in reports:
        if report.error:
            lines.append(f"{_label(report)} FAILED: {report.error}")
            continue
        for result in _course_rows(report):
            if result.status == "error":
                lines.append(f"{_label(report)} {result.gradient} FAILED: {result.error}")
            elif not result.approx or all(result.kinked):
                lines.append(f"{_label(report)} {result.gradient} inconclusive: every trial "
                             f"crossed a kink (ties in the input?)")
            else:
                lines.append(f"{_label(report)} {result.gradient} {_percent(result.agreement)}")
    return lines


def _fmt_rel(value):
    if value is None:
        return "-"
    return "inf" if math.isinf(value) else f"{value:.1e}"


def check_table(reports):
    """One row per check: layer, check, case, the course's agreement, the relative error
    against the reference, the status; diagnosis lines under a failed row."""
    width = max([len(r.layer) for r in reports] + [16])
    header = (f"{'layer':<{width}} {'check':<12} {'case':<28} {'agreement':>17} "
              f"{'rel. error':>10}  status")
    lines = [header, "-" * len(header)]
    for report in reports:
        if report.error:
            lines.append(f"{report.layer:<{width}} {'-':<12} {'-':<28} {'n/a':>17} {'-':>10}  error")
            lines.append(f"{'':<{width}}   {report.error}")
            continue
        for r in report.results:
            agreement = _percent(r.agreement) if r.approx and not r.error else "-"
            case = r.case if len(r.case) <= 28 else r.case[:25] + "..."
            lines.append(f"{report.layer:<{width}} {r.gradient:<12} {case:<28} {agreement:>17} "
                         f"{_fmt_rel(r.rel_error):>10}  {r.shown_status}")
            if r.error:
                lines.append(f"{'':<{width}}   error: {r.error}")
            if r.shown_status != "ok" or r.kind == "ties":
                lines += [f"{'':<{width}}   {text}" for text in r.diagnosis]
            if r.note and r.shown_status != "ok":
                lines.append(f"{'':<{width}}   note: {r.note}")
        for message in report.warnings:
            lines.append(f"{'':<{width}}   warning: {message}")
    return lines


# Terminal controls and bidirectional overrides (homework output and error messages quoted in
# a text report): "\x1b[8m" hid every later line, the verdict included, after a fake one.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _printable(text):
    """``text`` with control characters shown as escapes (newlines and tabs kept)."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _indent(text, prefix="  | "):
    return [prefix + line for line in text.rstrip("\n").splitlines()]


def submission_text(submission, settings_line, *, verbose=False, strict=False):
    """The whole text report of one submission."""
    lines = [settings_line]
    if submission.isolation:
        lines.append(f"isolation: {submission.isolation}; graded in {submission.seconds:.1f} s")
    for missing in submission.missing_imports:
        lines.append(f"note: an import failed and was skipped ({missing})")
    for denied in submission.denied:
        lines.append(f"note: the worker refused an action of the homework: {denied}")
    if verbose:
        for report in submission.reports:
            lines += course_lines(report)
    if submission.reports:
        lines += accuracy_lines(submission.reports)
        lines.append("")
        lines += check_table(submission.reports)
    for stream in ("stdout", "stderr"):
        text = submission.output.get(stream, "")
        if text.strip():
            lines.append(f"\nthe homework's {stream} (captured, not part of this report's figures):")
            lines += _indent(text)
    policy = "strict: the tie rule and every configuration count" if strict else (
        "default: the course's own configuration counts; other shapes and the tie rule warn")
    if submission.error:
        lines.append(f"\nFAILED: {submission.name}: {submission.error}")
    else:
        verdict = "PASSED" if submission.passed else "FAILED"
        lines.append(f"\n{verdict}: {submission.name} (policy {policy})")
    return _printable("\n".join(lines))


def to_json(submissions, settings):
    """One JSON document: settings, overall verdict, and every submission's report."""
    def clean(value):
        if isinstance(value, float):
            return _number(value)
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value
    document = {
        "tool": "gradcheck",
        "settings": settings,
        "passed": all(s.passed for s in submissions),
        "submissions": [s.to_dict() for s in submissions],
    }
    return json.dumps(clean(document), indent=2, allow_nan=False)


def _check_name(report, row):
    return f"{report.layer} {row.gradient} [{row.case}]" if row.case else f"{report.layer} {row.gradient}"


def _counted(submission):
    return [(report, row) for report in submission.reports for row in report.results if row.counts]


def _csv_text(value):
    """A cell a spreadsheet shows as text: file names, class names and notes come from the
    homework, and a cell starting with = + - @ (or a tab or carriage return) would be run as a
    formula when an instructor opens the table; such a cell gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(submissions, path):
    """One row per submission: submission, passed, score, max_score, seconds, note, then the
    status of every check (ok, FAIL, warn, error, kink; empty when not run).  Text that came
    from the homework (names, notes) is written so that no spreadsheet runs it as a formula."""
    columns = []
    for submission in submissions:
        for report in submission.reports:
            for row in report.results:
                name = _check_name(report, row)
                if name not in columns:
                    columns.append(name)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "passed", "score", "max_score", "seconds", "note"]
                        + [_csv_text(name) for name in columns])
        for submission in submissions:
            counted = _counted(submission)
            cells = {_check_name(report, row): row.shown_status
                     for report in submission.reports for row in report.results}
            for report in submission.reports:
                if report.error:
                    cells.setdefault(f"{report.layer}", "error")
            score = sum(1 for _, row in counted if row.status == "ok") if not submission.error else 0
            writer.writerow([_csv_text(submission.name), str(submission.passed).lower(), score,
                             max(len(counted), 1), f"{submission.seconds:.2f}",
                             _csv_text(submission.note.replace("\n", " ")[:300])]
                            + [cells.get(name, "") for name in columns])


def gradescope_results(submission):
    """Gradescope's autograder ``results.json`` for one submission: a test per counted check
    (1 point each), full marks exactly when every counted check passes."""
    tests = []
    for report in submission.reports:
        if report.error:
            tests.append({"name": f"{report.layer}", "score": 0, "max_score": 1,
                          "status": "failed", "output": f"could not be checked: {report.error}"})
            continue
        for row in report.results:
            if not row.counts:
                continue
            figures = []
            if row.approx and not row.error:
                figures.append(f"agreement {_percent(row.agreement)} (course's finite differences)")
            if row.rel_error is not None:
                figures.append(f"relative error {_fmt_rel(row.rel_error)} against the reference "
                               f"(at most {row.tolerance:g} passes)")
            text = "; ".join(figures)
            if row.error:
                text = f"error: {row.error}"
            if row.diagnosis:
                text += "\n" + "\n".join(row.diagnosis)
            passed = row.status == "ok"
            tests.append({"name": _check_name(report, row), "score": 1 if passed else 0,
                          "max_score": 1, "status": "passed" if passed else "failed",
                          "output": text})
    if submission.error or not tests:
        tests.append({"name": "submission", "score": 0, "max_score": 1, "status": "failed",
                      "output": submission.error or "nothing was graded"})
    warnings = [f"{report.layer} {row.gradient} [{row.case}]: " +
                ("; ".join(row.diagnosis) or row.error or "fails (not counted by the policy)")
                for report in submission.reports for row in report.results
                if not row.counts and row.status != "ok"]
    output = [f"{'PASSED' if submission.passed else 'FAILED'}: {submission.name}"]
    if warnings:
        output += ["warnings (not counted):"] + warnings
    for stream in ("stdout", "stderr"):
        if submission.output.get(stream, "").strip():
            output += [f"the homework's {stream}:", submission.output[stream]]
    return {"score": sum(t["score"] for t in tests),
            "execution_time": round(submission.seconds, 2),
            "output": "\n".join(output),
            "tests": tests}
