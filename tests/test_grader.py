"""The grader as an instructor meets it: homework runs in a worker it cannot escape, every way
the worker can end is an honest failure, forward and gradients are checked against the kit,
the tie rule follows the policy, and a class folder becomes a CSV and Gradescope results."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gradcheck import check_layer
from gradcheck.cli import main
from gradcheck.sandbox import GraderTampered, Tripwire
from grader_homework import POOL_BOTTOM_RIGHT, POOL_EVERY_TIE, course_file

FAST = ["--trials", "2", "--timeout", "20"]
CONV = "nn_convolutional_layer"
POOL = "nn_maxpool_layer"

ZERO = {"result": "0 * out", "grads": "0 * dLdx, 0 * dLdW, 0 * dLdb"}


def _write(tmp_path, text, name="hw.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _run_json(capsys, target, *extra):
    status = main([str(target), "--json", *FAST, *extra])
    out = capsys.readouterr().out
    document = json.loads(out)          # always exactly one JSON document
    return status, document["submissions"][0]


def _rows(submission):
    return {(layer["layer"], check["gradient"], check["case"]): check
            for layer in submission["layers"] for check in layer["checks"]}


# ---- right homework --------------------------------------------------------------------------

def test_a_right_file_passes_and_its_test_loop_never_runs(tmp_path, capsys):
    path = _write(tmp_path, course_file())
    status, submission = _run_json(capsys, path)
    assert status == 0 and submission["passed"], submission["note"]
    assert "test loop ran" not in submission["output"]["stdout"]
    rows = _rows(submission)
    for name in ("forward", "dLdx", "dLdW", "dLdb"):
        row = rows[(CONV, name, "course shapes")]
        assert row["status"] == "ok" and row["rel_error"] < 1e-12
    assert rows[(POOL, "dLdx (ties)", "ties")]["status"] == "ok"


def test_course_lines_print_plain_numbers(tmp_path, capsys):
    assert main([str(_write(tmp_path, course_file())), *FAST, "--verbose"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^conv layer dLdW \d+\.\d+ %$", out, re.MULTILINE)
    assert re.search(r"^exact change -?\d+\.\d+(e[-+]\d+)?$", out, re.MULTILINE)
    assert "np.float64" not in out and "array(" not in out


# ---- the reference catches what finite differences cannot ----------------------------------

def test_zero_forward_and_backprop_fail_every_row(tmp_path, capsys):
    status, submission = _run_json(capsys, f"{_write(tmp_path, course_file(**ZERO))}:{CONV}")
    assert status == 1
    rows = _rows(submission)
    for name in ("forward", "dLdx", "dLdW", "dLdb"):
        row = rows[(CONV, name, "course shapes")]
        assert row["status"] == "FAIL" and row["rel_error"] == 1.0
    # both sides zero: the course's measure alone would have called this 100 % agreement
    assert rows[(CONV, "dLdx", "course shapes")]["agreement"] == 100.0


def test_forward_without_the_bias_fails_the_forward_row(tmp_path, capsys):
    path = _write(tmp_path, course_file(result="out"))
    status, submission = _run_json(capsys, f"{path}:{CONV}")
    assert status == 1
    rows = _rows(submission)
    assert rows[(CONV, "forward", "course shapes")]["status"] == "FAIL"
    assert rows[(CONV, "dLdW", "course shapes")]["status"] == "ok"


def test_a_gradient_that_agrees_with_a_wrong_forward_still_fails(tmp_path, capsys):
    path = _write(tmp_path, course_file(result="2 * out + self.b",
                                        grads="2 * dLdx, 2 * dLdW, dLdb"))
    status, submission = _run_json(capsys, f"{path}:{CONV}")
    assert status == 1
    row = _rows(submission)[(CONV, "dLdW", "course shapes")]
    assert row["agreement"] > 99.99          # consistent with its own (wrong) forward
    assert row["status"] == "FAIL" and row["rel_error"] > 0.5


def test_a_maxpool_routing_to_the_wrong_pixel_fails_on_a_shuffled_input(tmp_path, capsys):
    path = _write(tmp_path, course_file(pool_grad=POOL_BOTTOM_RIGHT))
    status, submission = _run_json(capsys, f"{path}:{POOL}")
    assert status == 1
    assert _rows(submission)[(POOL, "dLdx", "course shapes")]["status"] == "FAIL"


def test_why_the_course_ramp_is_not_used(tmp_path):
    """On the ordered ramp arange + 1 every window's maximum is its bottom-right pixel, so a
    backprop that always routes there agrees perfectly: the grader must not use that input."""
    sys.path.insert(0, str(tmp_path))
    try:
        _write(tmp_path, course_file(pool_grad=POOL_BOTTOM_RIGHT), "bottom_right_hw.py")
        import importlib.util
        spec = importlib.util.spec_from_file_location("bottom_right_hw", tmp_path / "bottom_right_hw.py")
        source = (tmp_path / "bottom_right_hw.py").read_text().split("# the course's test loop")[0]
        namespace = {}
        exec(compile(source, "bottom_right_hw.py", "exec"), namespace)  # noqa: S102 - our own fixture
        layer = namespace[POOL](2, 2)
    finally:
        sys.path.remove(str(tmp_path))
    ramp = np.arange(2 * 3 * 8 * 8, dtype=float).reshape(2, 3, 8, 8) + 1
    assert check_layer(layer, ramp, trials=3).passed
    assert spec is not None


# ---- the tie rule: a warning by default, a failure under --strict ----------------------------

def test_every_tied_maximum_is_a_warning_by_default_and_a_failure_under_strict(tmp_path, capsys):
    path = _write(tmp_path, course_file(pool_grad=POOL_EVERY_TIE))
    status, submission = _run_json(capsys, f"{path}:{POOL}")
    assert status == 0 and submission["passed"]
    row = _rows(submission)[(POOL, "dLdx (ties)", "ties")]
    assert row["status"] == "warn" and not row["counts"]
    text = " ".join(row["diagnosis"])
    assert "every tied maximum" in text and "first maximum" in text and "ReLU" in text
    status, submission = _run_json(capsys, f"{path}:{POOL}", "--strict")
    assert status == 1 and _rows(submission)[(POOL, "dLdx (ties)", "ties")]["status"] == "FAIL"


# ---- hostile homework: never a pass, never a hang, never a grader crash ---------------------

TRICKS = {
    "class body patches the grader": {"conv_body": (
        "try:\n    import gradcheck.numeric as g\n    g.relative_error = lambda *a: 0.0\n"
        "except Exception:\n    pass")},
    "default argument patches the grader": {"top": (
        "def _patch(g=__import__('builtins')):\n    g.abs = lambda v: 0\n_patch()")},
    "decorator runs at load": {"top": (
        "def deco(f):\n    import builtins\n    builtins.print('PASSED')\n    return f\n"
        "@deco\ndef helper():\n    pass")},
    "try assignment": {"top": "try:\n    PATCHED = __import__('os').environ.setdefault('X', '1')\nexcept Exception:\n    pass"},
    "forward reads the call stack": {"forward": (
        "import inspect\nfor frame in inspect.stack():\n"
        "    for value in frame.frame.f_locals.values():\n"
        "        if isinstance(value, np.ndarray) and value.ndim == 4 and value.shape[1] == 8:\n"
        "            self.stolen = value\n"
        "return getattr(self, 'stolen', np.zeros((x.shape[0], 8, 30, 30)))")},
    "atexit prints PASSED": {"top": "import atexit\natexit.register(lambda: print('PASSED: everything'))"},
}


@pytest.mark.parametrize("trick", sorted(TRICKS))
def test_tricks_with_wrong_layers_still_fail(trick, tmp_path, capsys):
    path = _write(tmp_path, course_file(**dict(ZERO, **TRICKS[trick])))
    status, submission = _run_json(capsys, f"{path}:{CONV}")
    assert status == 1 and not submission["passed"]
    assert "PASSED: everything" not in submission["output"]["stdout"]


def test_a_sibling_module_that_patches_the_grader_changes_nothing(tmp_path, capsys):
    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "helper.py").write_text(
        "import sys\nfor name, module in list(sys.modules.items()):\n"
        "    if 'gradcheck' in name and hasattr(module, 'relative_error'):\n"
        "        module.relative_error = lambda *a: 0.0\n")
    _write(folder, course_file(**dict(ZERO, top="import helper")))
    status, submission = _run_json(capsys, f"{folder / 'hw.py'}:{CONV}")
    assert status == 1


ENDINGS = {
    # how the worker ends -> (changes, words the report must contain)
    "sys.exit while loading": ({"conv_body": "import sys\nsys.exit(0)"}, "SystemExit"),
    "sys.exit in forward": ({"forward": "import sys\nsys.exit(0)"}, "SystemExit"),
    "os._exit in forward": ({"forward": "import os\nos._exit(0)"}, "exited with status 0"),
    "a signal": ({"forward": "import faulthandler\nfaulthandler._sigsegv()"}, "SIGSEGV"),
    "KeyboardInterrupt": ({"forward": "raise KeyboardInterrupt"}, "KeyboardInterrupt"),
    "a BaseException of its own": ({"forward": "class Escape(BaseException):\n    pass\nraise Escape('out')"},
                                   "Escape: out"),
    "a broken message": ({"forward": (
        "import json, os, sys\nfd = json.loads(sys.argv[1])['write_fd']\n"
        "os.write(fd, b'\\xff' * 64)\nimport time\ntime.sleep(30)")}, "malformed"),
    "an object array": ({"result": "np.array([object()] * 3)"}, "dtype object"),
    "a string": ({"result": "'forty-two'"}, "<U9"),
    "a wrong shape": ({"result": "out[:, :, :-1] + self.b"}, "shape"),
    "None": ({"result": "None"}, "returned None"),
    "sleep in the class body": ({"conv_body": "import time\ntime.sleep(10**6)"}, "time limit"),
    "sleep in forward, SIGTERM ignored": ({"forward": (
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(10**6)")},
        "time limit"),
    "memory": ({"forward": "waste = np.ones(2**40)"}, "MemoryError"),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_every_way_the_worker_can_end_is_a_failure_with_its_reason(ending, tmp_path, capsys):
    changes, words = ENDINGS[ending]
    path = _write(tmp_path, course_file(**changes))
    status = main([f"{path}:{CONV}", "--json", "--trials", "2", "--timeout", "3",
                   "--memory", "1G"])
    document = json.loads(capsys.readouterr().out)
    submission = document["submissions"][0]
    assert status == 1 and not submission["passed"]
    assert words in json.dumps(submission), (ending, submission["note"])


def test_the_worker_cannot_write_outside_its_folder_or_start_processes(tmp_path, capsys):
    target = tmp_path / "outside.txt"
    changes = {"conv_body": (
        f"try:\n    open({str(target)!r}, 'w').write('x')\nexcept OSError:\n    pass\n"
        "import subprocess\ntry:\n    subprocess.Popen(['sleep', '1000'])\nexcept OSError:\n    pass\n"
        "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9))\nexcept OSError:\n    pass")}
    status, submission = _run_json(capsys, f"{_write(tmp_path, course_file(**changes))}:{CONV}")
    assert status == 0                       # the layers are right; the attempts are noted
    assert not target.exists()
    denied = " ".join(submission["denied"])
    assert "writing" in denied and "subprocess.Popen" in denied and "socket" in denied


def test_homework_output_and_skipped_imports_stay_inside_valid_json(tmp_path, capsys):
    changes = {"top": "import no_such_module_anywhere\nprint('hello from load')",
               "conv_body": "print('x' * 100000)", "forward": "print('in forward')"}
    status, submission = _run_json(capsys, _write(tmp_path, course_file(**changes)))
    assert status == 0
    assert submission["skipped_imports"] and "no_such_module_anywhere" in submission["skipped_imports"][0]
    assert "in forward" in submission["output"]["stdout"]
    assert "bytes not kept" in submission["output"]["stdout"]          # capped: head and tail
    assert len(submission["output"]["stdout"]) < 10000


def test_a_homework_cannot_write_into_the_installed_grader(tmp_path):
    """Run against a temporary copy of the packages, never the real install."""
    import gradcheck
    import nnlayers
    install = tmp_path / "site"
    for package in (gradcheck, nnlayers):
        source = Path(package.__file__).parent
        shutil.copytree(source, install / source.name, ignore=shutil.ignore_patterns("__pycache__"))
    victim = install / "gradcheck" / "numeric.py"
    before = victim.read_bytes()
    homework = _write(tmp_path, course_file(**dict(ZERO, conv_body=(
        "import os, gradcheck\n"
        "path = os.path.join(os.path.dirname(gradcheck.__file__), 'numeric.py')\n"
        "try:\n    open(path, 'a').write('\\nrelative_error = lambda *a: 0.0\\n')\n"
        "except OSError:\n    pass"))))
    env = dict(os.environ, PYTHONPATH=str(install))
    done = subprocess.run([sys.executable, "-m", "gradcheck", f"{homework}:{CONV}", "--json",
                           "--trials", "2"], capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert victim.read_bytes() == before
    submission = json.loads(done.stdout)["submissions"][0]
    assert any("numeric.py" in d for d in submission["denied"])


def test_the_tripwire_names_the_submission(tmp_path):
    watched = tmp_path / "grader"
    watched.mkdir()
    (watched / "numeric.py").write_text("x = 1\n")
    wire = Tripwire([watched])
    wire.check("alice.py")
    (watched / "numeric.py").write_text("x = 2\n")
    with pytest.raises(GraderTampered, match="while alice.py was graded"):
        wire.check("alice.py")


def test_a_tripped_wire_stops_grading_with_status_2(tmp_path, capsys, monkeypatch):
    def tripped(self, submission):
        raise GraderTampered(f"the grader's own files changed while {submission} was graded")
    monkeypatch.setattr(Tripwire, "check", tripped)
    assert main([str(_write(tmp_path, course_file())), *FAST]) == 2
    assert "hw.py was graded" in capsys.readouterr().err


# ---- a class folder ----------------------------------------------------------------------------

def _class_folder(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    _write(folder, course_file(), "alice.py")
    _write(folder, course_file(**ZERO), "bob.py")
    _write(folder, course_file(conv_body="import time\ntime.sleep(10**6)"), "carol.py")
    _write(folder, course_file(forward="import os\nos._exit(0)"), "dave.py")
    _write(folder, course_file(pool_grad=POOL_EVERY_TIE), "erin.py")
    package = folder / "frank"
    package.mkdir()
    (package / "conv_helpers.py").write_text("import numpy as np\nSCALE = 1.0\n")
    _write(package, course_file(top="from conv_helpers import SCALE"), "homework.py")
    (folder / "notes.txt").write_text("not a submission")
    return folder


def test_a_class_folder_is_graded_into_a_csv_and_gradescope_files(tmp_path, capsys):
    folder = _class_folder(tmp_path)
    table, results = tmp_path / "grades.csv", tmp_path / "gradescope"
    status = main(["grade", str(folder), "--csv", str(table), "--jobs", "2", "--timeout", "5",
                   "--trials", "2", "--no-progress", "--gradescope-dir", str(results)])
    assert status == 0
    rows = {row["submission"]: row for row in csv.DictReader(table.open())}
    assert set(rows) == {"alice.py", "bob.py", "carol.py", "dave.py", "erin.py", "frank"}
    passed = {name: row["passed"] for name, row in rows.items()}
    assert passed == {"alice.py": "true", "bob.py": "false", "carol.py": "false",
                      "dave.py": "false", "erin.py": "true", "frank": "true"}
    assert "time limit" in rows["carol.py"]["note"]
    assert "exited with status 0" in rows["dave.py"]["note"]
    assert rows["erin.py"]["nn_maxpool_layer dLdx (ties) [ties]"] == "warn"
    for name in rows:
        _validate_gradescope(json.loads((results / f"{Path(name).stem}.json").read_text()),
                             rows[name]["passed"] == "true")


def test_strict_class_grading_counts_the_tie_rule(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    _write(folder, course_file(pool_grad=POOL_EVERY_TIE), "erin.py")
    table = tmp_path / "grades.csv"
    assert main(["grade", str(folder), "--csv", str(table), "--strict", "--trials", "2",
                 "--no-progress"]) == 0
    (row,) = csv.DictReader(table.open())
    assert row["passed"] == "false" and row["nn_maxpool_layer dLdx (ties) [ties]"] == "FAIL"


def _validate_gradescope(document, passed):
    """Gradescope's results.json: score and tests, each with name, score, max_score, status,
    output; full marks exactly when every test passes."""
    assert isinstance(document["score"], (int, float)) and isinstance(document["tests"], list)
    assert document["tests"]
    for test in document["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output"}
        assert test["status"] in ("passed", "failed")
        assert 0 <= test["score"] <= test["max_score"]
        assert (test["status"] == "passed") == (test["score"] == test["max_score"])
    full = sum(t["max_score"] for t in document["tests"])
    assert document["score"] == sum(t["score"] for t in document["tests"])
    assert (document["score"] == full) == passed


def test_gradescope_results_for_one_submission(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main([str(_write(tmp_path, course_file(result="out"))), *FAST,
                 "--gradescope", str(out)]) == 1
    document = json.loads(out.read_text())
    _validate_gradescope(document, passed=False)
    failed = [t for t in document["tests"] if t["status"] == "failed"]
    assert any("forward" in t["name"] and "relative error" in t["output"] for t in failed)


# ---- styles and buffers -------------------------------------------------------------------------

def test_list_names_every_class_of_a_mytorch_folder_and_its_style(capsys):
    folder = Path(__file__).with_name("homework") / "mytorch" / "right"
    assert main([str(folder), "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("Conv1d_stride1", "Conv1d", "Conv2d_stride1", "Conv2d", "ConvTranspose1d",
                 "ConvTranspose2d", "Upsample1d", "Upsample2d", "Downsample1d", "Downsample2d",
                 "MaxPool2d_stride1", "MaxPool2d", "MeanPool2d_stride1", "MeanPool2d", "Flatten"):
        assert re.search(rf"^{name}\s+\[mytorch\]", out, re.MULTILINE), name


def test_checking_a_layer_leaves_its_buffers_as_they_were(rng):
    import nnlayers
    layer = nnlayers.nn_batchnorm_layer(3)
    layer.running_mean[:] = [0.5, -1.0, 2.0]
    before = (layer.running_mean.copy(), layer.running_var.copy())
    assert check_layer(layer, rng.normal(size=(6, 3, 4, 4)), trials=3).passed
    np.testing.assert_array_equal(layer.running_mean, before[0])
    np.testing.assert_array_equal(layer.running_var, before[1])
