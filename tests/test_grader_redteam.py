"""Homework written to fool or hang the grader, beyond tests/test_grader.py's tricks: weights
chosen so that a wrong forward agrees with the reference, answers forged on the worker's own
channel, a classmate's copy read at grading time, signals, processes and native calls through
entry points the audit hook never sees.  Each must fail (or be refused and noted) and leave
every other student's grade alone."""

import json
import os

import pytest

from gradcheck.cli import main
from gradcheck.grade import Settings, grade_class
from grader_homework import course_file

CONV = "nn_convolutional_layer"
INIT = "        self.b = 0.01 + np.zeros((1, num_filters, 1, 1))\n"


def _with(source, anchor, code, indent=8):
    """``source`` with ``code`` inserted after the line(s) ``anchor`` (which occur once)."""
    assert source.count(anchor) == 1
    lines = "".join(" " * indent + line + "\n" for line in code.strip("\n").splitlines())
    return source.replace(anchor, anchor + lines, 1)


def _grade(capsys, path, *extra):
    status = main([str(path), "--json", "--trials", "2", "--timeout", "5", *extra])
    return status, json.loads(capsys.readouterr().out)["submissions"][0]


def _rows(submission):
    return {(check["gradient"], check["case"]): check
            for layer in submission["layers"] for check in layer["checks"]}


# ---- the homework's own weights ------------------------------------------------------------

# W = 0 makes the reference's forward b and its dLdx 0: a forward that never convolves (here:
# the bias alone) and a zero dLdx agreed with it while dLdW and dLdb were right.
IGNORES_W = {"result": "np.zeros_like(out) + self.b", "grads": "0 * dLdx, dLdW, dLdb"}


def test_weights_the_constructor_sets_to_zero_do_not_hide_a_wrong_forward(tmp_path, capsys):
    source = _with(course_file(**IGNORES_W), INIT, "self.W = 0 * self.W")
    path = tmp_path / "hw.py"
    path.write_text(source)
    status, submission = _grade(capsys, f"{path}:{CONV}")
    rows = _rows(submission)
    assert status == 1 and not submission["passed"]
    assert rows[("forward", "course shapes")]["status"] == "FAIL"
    assert rows[("dLdx", "course shapes")]["status"] == "FAIL"
    assert rows[("dLdW", "course shapes")]["status"] == "ok"


DLFS_IGNORES_W = '''
import numpy as np


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b = np.zeros_like(W), np.zeros_like(b)    # the given weights thrown away
        self.stride, self.pad = stride, pad

    def forward(self, x):
        self.x = x
        FN, C, FH, FW = self.W.shape
        N, _, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        return np.zeros((N, FN, out_h, out_w)) + self.b.reshape(1, FN, 1, 1)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        self.db = dout.sum(axis=(0, 2, 3))
        self.dW = np.zeros_like(self.W)
        for i in range(FH):
            for j in range(FW):
                patch = self.x[:, :, i:i + dout.shape[2], j:j + dout.shape[3]]
                self.dW[:, :, i, j] = np.einsum("nfhw,nchw->fc", dout, patch)
        return np.zeros_like(self.x)
'''


def test_dlfs_weights_replaced_by_zeros_do_not_hide_a_wrong_forward(tmp_path, capsys):
    (tmp_path / "hw" / "common").mkdir(parents=True)
    (tmp_path / "hw" / "common" / "layers.py").write_text(DLFS_IGNORES_W)
    status, submission = _grade(capsys, tmp_path / "hw")
    rows = _rows(submission)
    assert status == 1
    assert rows[("forward", "course shapes")]["status"] == "FAIL"
    assert rows[("dLdW", "course shapes")]["status"] == "ok"


# ---- answers forged on the worker's channel ---------------------------------------------------

FORGE = '''
import json as _json, os as _os, struct as _struct, sys as _sys
_fd = _json.loads(_sys.argv[1])["write_fd"]
_head = {HEAD}
_os.write(_fd, _struct.pack(">II", len(_head), 0) + _head)
'''
FORGERIES = {   # where it is sent -> the header (bytes)
    "a count of 10**15 (the grader looped over it)": (
        "constructor", 'b\'{"ok": true, "count": 1000000000000000, "arrays": []}\''),
    "a header nested 200000 deep (RecursionError in the grader)": ("load", "b'[' * 200000"),
    "a number where a list of strings belongs": (
        "load", 'b\'{"ok": true, "names": [], "missing_imports": 5, "arrays": []}\''),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_answer_ends_the_worker_not_the_grader(forgery, tmp_path, capsys):
    where, head = FORGERIES[forgery]
    code = FORGE.replace("{HEAD}", head)
    source = course_file(**IGNORES_W)
    source = _with(source, INIT, code) if where == "constructor" else \
        course_file(**dict(IGNORES_W, conv_body=code))
    path = tmp_path / "hw.py"
    path.write_text(source)
    status, submission = _grade(capsys, f"{path}:{CONV}")
    assert status == 1 and not submission["passed"]
    assert "malformed answer" in submission["error"], submission["error"]


# ---- escaping the audit hook ---------------------------------------------------------------

ESCAPES = {   # what is tried -> code that prints "<name> done" when it was allowed
    "signal through a pidfd": "signal.pidfd_send_signal(os.pidfd_open(os.getppid()), 0)",
    "subprocess's own fork_exec": (
        "if not isinstance(subprocess._fork_exec, type(len)):\n    raise PermissionError"),
    "a classmate's worker starved": "os.setpriority(os.PRIO_PROCESS, os.getppid(), 0)",
    "re-importing posix": (
        "saved = sys.modules.pop('posix')\ntry:\n    import posix\n"
        "finally:\n    sys.modules['posix'] = saved"),
    "re-importing _signal": (
        "saved = sys.modules.pop('_signal')\ntry:\n    import _signal\n"
        "finally:\n    sys.modules['_signal'] = saved"),
    "the grader's /proc entry": "open(f'/proc/{os.getppid()}/cmdline', 'rb').read()",
    "a symbol from the interpreter": "ctypes.pythonapi.getppid()",
    "a symbol through a library's file name": (
        "g = {}\nexec(compile('import ctypes\\ndef f():\\n    return ctypes.pythonapi.getppid()',"
        " np.__file__, 'exec'), g)\ng['f']()"),
}


def test_signals_processes_and_native_calls_are_refused(tmp_path, capsys):
    attempts = "import ctypes, os, signal, subprocess, sys\n"      # run by the class body
    for name, code in sorted(ESCAPES.items()):
        body = "\n".join("    " + line for line in code.splitlines())
        attempts += f"try:\n{body}\n    print({name!r}, 'done')\nexcept BaseException:\n    pass\n"
    path = tmp_path / "hw.py"
    path.write_text(course_file(conv_body=attempts))
    status, submission = _grade(capsys, f"{path}:{CONV}")
    assert status == 0, submission["note"]            # the layers are right
    assert " done" not in submission["output"]["stdout"], submission["output"]["stdout"]
    denied = " ".join(submission["denied"])
    assert "ctypes.dlsym" in denied and "another process" in denied


# ---- another student's grade ------------------------------------------------------------------

COPYCAT = '''
FOUND = []


def _copy_a_classmate():
    """Wait (once) for another worker's folder and load the classmate's class from it."""
    import glob, os, time
    if FOUND:
        return FOUND[0]
    FOUND.append(None)
    mine = os.getcwd()
    for _ in range(40):
        for path in glob.glob(os.path.join(os.path.dirname(mine), "gradcheck-*", "*", "*.py")):
            if path.startswith(mine):
                continue
            try:
                source = open(path).read()
            except OSError:
                continue
            if "class nn_convolutional_layer" in source and "COPYCAT" not in source:
                found = {}
                exec(source.split("# the course's test loop")[0], found)
                FOUND[0] = found["nn_convolutional_layer"]
                return FOUND[0]
        time.sleep(0.1)
'''


def test_a_classmates_copy_is_out_of_reach_while_both_are_graded(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    right = course_file()
    (folder / "a_right.py").write_text(right)
    copycat = course_file(**dict(
        IGNORES_W, top=COPYCAT,
        forward="other = _copy_a_classmate()  # COPYCAT\nif other is not None:\n"
                "    return other.forward(self, x)",
        backprop="other = _copy_a_classmate()\nif other is not None:\n"
                 "    return other.backprop(self, x, dLdy)"))
    (folder / "b_copycat.py").write_text(copycat)
    graded = {s.name: s for s in grade_class(folder, Settings(trials=2, timeout=10), jobs=2)}
    assert graded["a_right.py"].passed, graded["a_right.py"].note
    assert not graded["b_copycat.py"].passed
    assert any("reading" in d for d in graded["b_copycat.py"].denied), graded["b_copycat.py"].denied
    assert sorted(os.listdir(folder)) == ["a_right.py", "b_copycat.py"]


# ---- the grader's own parsing ------------------------------------------------------------------

def test_a_huge_source_file_is_refused_before_the_grader_parses_it(tmp_path, capsys):
    # parsing 90 MB of "X = 1" lines took the grader 22 GB of memory; refused at 512 KiB
    path = tmp_path / "hw.py"
    path.write_text(course_file() + "X = 1\n" * 100_000)
    status, submission = _grade(capsys, path)
    assert status == 1 and "the grader parses source files of at most" in submission["error"]


# ---- the text report ------------------------------------------------------------------------

def test_terminal_controls_in_homework_output_cannot_hide_the_verdict(tmp_path, capsys):
    # "\x1b[8m" (concealed) would hide every later line of the report, the real verdict too,
    # after a fake one; a right-to-left override would turn "DELIAF" into "FAILED"
    fake = "print('PASSED: hw.py\\x1b[8m')\nprint('\\u202eDELIAF')\nraise ValueError('\\x1b[2J')"
    path = tmp_path / "hw.py"
    path.write_text(course_file(**dict(IGNORES_W, forward=fake)))
    status = main([f"{path}:{CONV}", "--trials", "2", "--timeout", "5"])
    text = capsys.readouterr().out
    assert status == 1 and "\x1b" not in text and "\u202e" not in text
    assert text.rstrip().splitlines()[-1].startswith("FAILED")
    assert "\\x1b[8m" in text          # shown, as an escape


# ---- a layer with no reference ---------------------------------------------------------------

GENERIC = '''
import numpy as np

SEEN = []


class Triple:
    def forward(self, x):
        y = 3.0 * x
        SEEN.append((x.copy(), y.copy()))
        return y

    def backprop(self, x, dLdy):
        if {honest}:
            return 3.0 * dLdy
        # never derived: the least-squares fit of the finite-difference probes forward saw
        base = next(y for p, y in SEEN if np.array_equal(p, x))
        rows = [((p - x).ravel(), np.sum(dLdy * (y - base))) for p, y in SEEN
                if p.shape == x.shape and not np.array_equal(p, x)]
        if not rows:
            return np.zeros_like(x)
        fit = np.linalg.lstsq(np.array([r for r, _ in rows]), np.array([v for _, v in rows]),
                              rcond=None)[0]
        return fit.reshape(x.shape)
'''


@pytest.mark.parametrize("honest", [True, False])
def test_a_backprop_fitted_to_the_probes_forward_saw_fails(honest, tmp_path, capsys):
    path = tmp_path / "hw.py"
    path.write_text(GENERIC.replace("{honest}", str(honest)))
    status, submission = _grade(capsys, f"{path}:Triple", "--shape", "2,3,5,5", "--trials", "5")
    assert (status == 0) == honest and submission["passed"] == honest, submission["note"]


# ---- shadowing --------------------------------------------------------------------------------

def test_modules_named_like_the_graders_next_to_the_homework_change_nothing(tmp_path, capsys):
    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "hw.py").write_text(course_file(**IGNORES_W))
    for name in ("numpy", "gradcheck", "nnlayers", "protocol", "styles", "loading", "json",
                 "struct", "select", "skimage", "sitecustomize"):
        (folder / f"{name}.py").write_text(f"print('PASSED')\nraise SystemExit('{name} shadowed')\n")
    status, submission = _grade(capsys, folder)
    verdicts = {layer["layer"]: layer["passed"] for layer in submission["layers"]}
    assert status == 1 and verdicts == {CONV: False, "nn_maxpool_layer": True}, submission["note"]
    assert "shadowed" not in json.dumps(submission)


def test_a_link_to_a_classmate_or_a_fifo_in_a_class_folder_is_not_graded(tmp_path):
    folder = tmp_path / "class"
    (folder / "carol").mkdir(parents=True)
    (folder / "alice.py").write_text(course_file())
    (folder / "eve.py").symlink_to(folder / "alice.py")         # eve's "submission"
    (folder / "carol" / "hw.py").write_text(course_file(**IGNORES_W))
    os.mkfifo(folder / "carol" / "blocks.py")                  # reading it would never return
    graded = {s.name: s for s in grade_class(folder, Settings(trials=2, timeout=10), jobs=2)}
    assert graded["alice.py"].passed
    assert not graded["eve.py"].passed and "symbolic link" in graded["eve.py"].error
    assert not graded["carol"].passed and graded["carol"].reports


WAYS_OUT = {   # how a path outside is made to look like one inside the worker's folder
    # the "open" audit event of os.open carries no dir_fd: a path relative to a descriptor of
    # a folder outside looked relative to the worker's folder
    "a folder descriptor": ("folder = os.open(OUTSIDE, os.O_RDONLY)\n"
                            "os.open('planted.txt', os.O_WRONLY | os.O_CREAT, dir_fd=folder)",
                            "opening the folder"),
    # relative paths were resolved against the worker's folder, not the current one
    "os.chdir": ("os.chdir(OUTSIDE)\nopen('planted.txt', 'w').write('x')", "writing"),
}


@pytest.mark.parametrize("way", sorted(WAYS_OUT))
def test_no_relative_path_leads_outside_the_workers_folder(way, tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    code, refusal = WAYS_OUT[way]
    body = "\n".join("    " + line for line in code.replace("OUTSIDE", repr(str(outside))).splitlines())
    path = tmp_path / "hw.py"
    path.write_text(course_file(conv_body=f"import os\ntry:\n{body}\nexcept OSError:\n    pass"))
    status, submission = _grade(capsys, f"{path}:{CONV}")
    assert status == 0 and not (outside / "planted.txt").exists()
    assert any(refusal in d for d in submission["denied"]), submission["denied"]


def test_a_huge_answer_is_refused_before_the_grader_reads_it(tmp_path, capsys):
    # 400 MB of forward output: read, loaded and compared it cost the grader GBs per worker
    path = tmp_path / "hw.py"
    path.write_text(course_file(forward="return np.zeros(50_000_000)"))
    status, submission = _grade(capsys, f"{path}:{CONV}", "--memory", "2G")
    assert status == 1 and "over the limit" in submission["error"], submission["error"]


def test_the_worker_is_what_the_kernel_ends_first_when_memory_runs_out(tmp_path, capsys):
    path = tmp_path / "hw.py"
    path.write_text(course_file(conv_body="print('adj', open('/proc/self/oom_score_adj').read())"))
    status, submission = _grade(capsys, f"{path}:{CONV}")
    assert status == 0 and "adj 1000" in submission["output"]["stdout"]


# ---- the kit's own layers handed in ----------------------------------------------------------

KIT_LAYERS = {
    "subclassed": "class nn_convolutional_layer(nnlayers.nn_convolutional_layer):\n    pass\n",
    "methods borrowed": (
        "class nn_convolutional_layer:\n"
        "    __init__ = nnlayers.nn_convolutional_layer.__init__\n"
        "    forward = nnlayers.nn_convolutional_layer.forward\n"
        "    backprop = nnlayers.nn_convolutional_layer.backprop\n"
        "    get_weights = nnlayers.nn_convolutional_layer.get_weights\n"
        "    set_weights = nnlayers.nn_convolutional_layer.set_weights\n"),
}


@pytest.mark.parametrize("how", sorted(KIT_LAYERS))
def test_the_kits_own_layer_is_not_graded_as_homework(how, tmp_path, capsys):
    path = tmp_path / "hw.py"
    path.write_text("import nnlayers\n\n\n" + KIT_LAYERS[how])
    status, submission = _grade(capsys, f"{path}:{CONV}")
    assert status == 1 and "not the kit's" in json.dumps(submission), submission["note"]


# ---- answers carried in the file ---------------------------------------------------------------

def test_the_inputs_depend_on_the_file_so_no_file_can_carry_their_answers(tmp_path, capsys):
    # with seed 0 for every file, a file could hold the kit's outputs for the grader's inputs
    # (and weights) and look them up; drawn from the seed and the file's own digest, they
    # cannot be known before the file is written
    shown = "print('input', float(np.sum(x * np.arange(x.size).reshape(x.shape))))"
    seen = []
    for comment in ("# one", "# two", "# one"):
        path = tmp_path / "hw.py"
        path.write_text(course_file(top=comment, forward=shown))
        status, submission = _grade(capsys, f"{path}:{CONV}")
        assert status == 0
        seen.append(submission["output"]["stdout"].splitlines()[0])
    assert seen[0] == seen[2] != seen[1]       # reproducible for a file, different for another


# ---- diagnoses the fresh homework asked for ------------------------------------------------

HOMEWORK = os.path.join(os.path.dirname(__file__), "homework")
DIAGNOSES = {   # fixture, layer -> words its failed rows must use (under --strict)
    "cs231n/pool_overwrite": ("max_pool_forward_naive", "instead of adding it (+=)"),
    "course_torch/pool_mean.py": ("nn_maxpool_layer", "forward takes each window's mean"),
}


@pytest.mark.parametrize("fixture", sorted(DIAGNOSES))
def test_pool_mistakes_that_matched_no_known_one_are_named(fixture, capsys):
    if fixture.startswith("course_torch"):
        pytest.importorskip("torch")
    layer, words = DIAGNOSES[fixture]
    status, submission = _grade(capsys, os.path.join(HOMEWORK, fixture), "--strict")
    said = " ".join(" ".join(check["diagnosis"]) for report in submission["layers"]
                    if report["layer"] == layer for check in report["checks"])
    assert status == 1 and words in said, said[:500]


def test_a_right_file_saved_by_notepad_passes(tmp_path, capsys):
    # UTF-8 with a byte-order mark and CRLF line ends: Python runs it; the grader's parser
    # called the BOM "invalid non-printable character U+FEFF"
    path = tmp_path / "hw.py"
    path.write_bytes(b"\xef\xbb\xbf" + course_file().replace("\n", "\r\n").encode())
    status, submission = _grade(capsys, path)
    assert status == 0 and submission["passed"], submission["note"]


def test_a_max_pool_computing_in_float32_keeps_the_tie_rule(tmp_path, capsys):
    # torch's default dtype: the gradient at ties is V rounded to float32 (2.5e-8 off), which
    # a public torch homework failed under --strict as "no rule the grader knows"
    source = course_file().replace(
        ".max(axis=(4, 5, 6, 7))", ".max(axis=(4, 5, 6, 7)).astype(np.float32)").replace(
        "        dLdx = np.zeros(x.shape)\n        n, c", "        dLdx = np.zeros(x.shape, np.float32)\n        n, c")
    path = tmp_path / "hw.py"
    path.write_text(source)
    status, submission = _grade(capsys, f"{path}:nn_maxpool_layer", "--strict")
    assert status == 0, submission["note"]
    assert _rows(submission)[("dLdx (ties)", "ties")]["status"] == "ok"


def test_a_file_name_or_class_name_is_never_a_spreadsheet_formula(tmp_path):
    """A student names a file ``=HYPERLINK(...).py`` or a class that the table shows: the CSV
    instructors open in a spreadsheet must show it as text, not run it."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "=1+1.py").write_text(course_file())
    (folder / "@SUM(A1).py").write_text("raise ValueError('-2+3')\n")
    table = tmp_path / "grades.csv"
    assert main(["grade", str(folder), "--csv", str(table), "--trials", "2", "--timeout", "20",
                 "--no-progress"]) == 0
    import csv
    rows = list(csv.reader(table.open()))
    cells = [cell for row in rows for cell in row]
    assert "'=1+1.py" in cells and "'@SUM(A1).py" in cells
    assert not any(cell[:1] in "=+-@" for cell in cells if cell), cells


def test_a_worker_cannot_fill_the_disk_with_files(tmp_path, capsys):
    """Each file is capped (RLIMIT_FSIZE: 16 MiB) and so is their number: a homework writing
    file after file in its folder is refused from the 65th on, and still graded."""
    fill = """
import errno
try:
    open("big.bin", "wb").write(b"x" * (17 << 20))
    raise AssertionError("a 17 MiB file was written")
except OSError as error:
    assert error.errno == errno.EFBIG, error
for i in range(200):
    try:
        open(f"junk{i}.bin", "wb").write(b"x" * 1024)
    except PermissionError:
        break
"""
    path = tmp_path / "hw.py"
    path.write_text(_with(course_file(), INIT, fill))
    status, submission = _grade(capsys, path)
    denied = " ".join(submission["denied"])
    assert "more than 64 files" in denied and "junk63.bin" in denied, submission["denied"]
    assert status == 0 and submission["passed"], submission["note"]
