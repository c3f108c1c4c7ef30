"""The grader against every homework fixture (tests/homework/MANIFEST.json): each class's
verdict, by default and under --strict, is the one the manifest records (and which
test_homework_truth.py proves with torch); every hostile submission fails."""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from gradcheck.grade import Settings, grade_class

HOMEWORK = Path(__file__).with_name("homework")
MANIFEST = json.loads((HOMEWORK / "MANIFEST.json").read_text())
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _entry_name(path):
    return path.replace("/", "__")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every fixture graded once, as one class folder, two at a time."""
    folder = tmp_path_factory.mktemp("class")
    for entry in MANIFEST:
        source = HOMEWORK / entry["path"]
        target = folder / _entry_name(entry["path"])
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    submissions = grade_class(folder, Settings(trials=2, timeout=8, memory=2 << 30), jobs=2)
    return {s.name: s for s in submissions}


def _verdicts(submission):
    """{layer: (default verdict, strict verdict)}; strict counts every row."""
    out = {}
    for report in submission.reports:
        strict = not report.error and bool(report.results) and all(
            row.status == "ok" for row in report.results)
        out[report.layer] = ("pass" if report.passed else "fail", "pass" if strict else "fail")
    return out


CASES = [(e["path"], cls) for e in MANIFEST if not e.get("hostile") for cls in e["classes"]]


@pytest.mark.parametrize("path, cls", CASES, ids=[f"{p}:{c}" for p, c in CASES])
def test_each_class_verdict_matches_the_manifest(graded, path, cls):
    entry = next(e for e in MANIFEST if e["path"] == path)
    if entry["style"] == "course_torch" and not HAS_TORCH:
        pytest.skip("the torch edition needs torch")
    submission = graded[_entry_name(path)]
    truth = entry["classes"][cls]
    verdicts = _verdicts(submission)
    assert cls in verdicts, (submission.error, sorted(verdicts))
    assert verdicts[cls] == (truth["default"], truth["strict"]), (
        entry["note"], submission.note)


HOSTILE = [e["path"] for e in MANIFEST if e.get("hostile")]


@pytest.mark.parametrize("path", HOSTILE)
def test_every_hostile_submission_fails(graded, path):
    submission = graded[_entry_name(path)]
    assert not submission.passed, submission.to_dict()


# Words the report must use for each planted mistake (issue 10, item 4).
NAMED = {
    "zero": "all zeros", "missing_bias": "missing the bias", "spatial_flip": "flipped",
    "transposed": "swapped", "sign": "wrong sign", "factor": "factor",
    "spread_pool": "spread evenly", "ties_all": "every tied maximum", "shift": "shifted",
    "partial_batch": "image", "border": "border", "wrong_argmax": "position",
    "template": "not implemented",
}
PLANTED = [(e["path"], cls, t["mistake"]) for e in MANIFEST if not e.get("hostile")
           for cls, t in e["classes"].items() if t.get("mistake")]


@pytest.mark.parametrize("path, cls, mistake", PLANTED, ids=[f"{p}:{c}" for p, c, _ in PLANTED])
def test_each_planted_mistake_is_named(graded, path, cls, mistake):
    entry = next(e for e in MANIFEST if e["path"] == path)
    if entry["style"] == "course_torch" and not HAS_TORCH:
        pytest.skip("the torch edition needs torch")
    submission = graded[_entry_name(path)]
    report = next(r for r in submission.reports if r.layer == cls)
    said = " ".join([report.error] + report.warnings + [
        " ".join(row.diagnosis + [row.error]) for row in report.results]).lower()
    only_other_shapes = entry["classes"][cls]["default"] == "pass"
    if mistake.startswith("shapes_") or (only_other_shapes and mistake != "ties_all"):
        assert "right on the course's shapes, wrong on" in said, said
    else:
        assert NAMED[mistake] in said, (mistake, said[:600])
