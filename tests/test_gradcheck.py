"""gradcheck passes right layers, fails wrong ones, reports kinks, and grades homework files."""

import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gradcheck import check_layer, check_tie_rule, relative_errors
from gradcheck.cli import main
from nnlayers import nn_convolutional_layer, nn_maxpool_layer


# ---- deliberately wrong layers ----------------------------------------------------------

class TransposedWConv(nn_convolutional_layer):
    """dLdW with its spatial axes swapped: same shape for square filters, wrong values."""

    def backprop(self, x, dLdy):
        dx, dW, db = super().backprop(x, dLdy)
        return dx, dW.transpose(0, 1, 3, 2), db


class BiasOffConv(nn_convolutional_layer):
    def backprop(self, x, dLdy):
        dx, dW, db = super().backprop(x, dLdy)
        return dx, dW, 2 * db


class SpreadTiesPool(nn_maxpool_layer):
    """The classic mask bug: every element equal to its window's max gets the gradient."""

    def backprop(self, x, dLdy):
        p = self.pool_size
        y = self.forward(x)
        up = lambda a: a.repeat(p, axis=2).repeat(p, axis=3)  # noqa: E731
        return (x == up(y)) * up(dLdy)


class ReLU:
    def forward(self, x):
        return np.maximum(x, 0)

    def backprop(self, x, dLdy):
        return dLdy * (x > 0)


class Float32Tanh:
    def forward(self, x):
        return np.tanh(np.asarray(x, np.float32))

    def backprop(self, x, dLdy):
        return dLdy * (1 - np.tanh(np.asarray(x, np.float32)) ** 2)


def _conv_input(rng):
    return rng.normal(size=(4, 3, 10, 10))


def _agreements(report):
    return {r.gradient: r.agreement for r in report.results}


# ---- the numeric checker ----------------------------------------------------------------

@pytest.mark.parametrize("method", ["central", "forward"])
def test_passes_the_kit_conv_layer(method, rng):
    layer = nn_convolutional_layer(3, 3, 10, 3, 5, stride=2, padding=1, rng=0)
    report = check_layer(layer, _conv_input(rng), method=method, trials=8)
    assert report.passed
    assert set(_agreements(report)) == {"dLdx", "dLdW", "dLdb"}
    assert min(_agreements(report).values()) > 99.9999


def test_passes_the_kit_maxpool_on_the_course_input():
    x = np.arange(2 * 3 * 8 * 8).reshape(2, 3, 8, 8) + 1
    report = check_layer(nn_maxpool_layer(2, 2), x, trials=8)
    assert report.passed and report.results[0].agreement > 99.9999


def test_fails_a_transposed_dLdW(rng):
    report = check_layer(TransposedWConv(3, 3, 10, 3, 5, rng=0), _conv_input(rng), trials=8)
    scores = _agreements(report)
    assert not report.passed
    assert scores["dLdW"] < 99.0 and scores["dLdx"] > 99.9999 and scores["dLdb"] > 99.9999


def test_fails_a_dLdb_off_by_a_factor(rng):
    report = check_layer(BiasOffConv(3, 3, 10, 3, 5, rng=0), _conv_input(rng), trials=8)
    scores = _agreements(report)
    assert not report.passed
    assert scores["dLdb"] == pytest.approx(100 - 50, abs=1e-6)  # |2g - g| / |2g| = 1/2
    assert [r.status for r in report.results] == ["ok", "ok", "FAIL"]


def test_tie_rule_fails_a_maxpool_that_spreads_ties(rng):
    ties = rng.integers(0, 3, size=(2, 2, 8, 8))
    wrong = check_tie_rule(SpreadTiesPool(2, 2), ties, trials=8)
    right = check_tie_rule(nn_maxpool_layer(2, 2), ties, trials=8)
    assert right.passed and right.results[0].agreement > 99.9999
    assert not wrong.passed and wrong.results[0].agreement < 95


def test_a_maxpool_that_spreads_ties_passes_on_tie_free_input():
    # Why the tie rule needs its own check: on the course's input the bug is invisible.
    x = np.arange(2 * 2 * 8 * 8).reshape(2, 2, 8, 8) + 1
    assert check_layer(SpreadTiesPool(2, 2), x, trials=4).passed


def test_kink_crossings_are_reported_not_scored(rng):
    x = rng.normal(size=(2, 3, 6, 6)) * 1e-9  # every step crosses ReLU's kink at 0
    report = check_layer(ReLU(), x, trials=6)
    result = report.results[0]
    assert result.status == "kink" and not report.passed
    assert all(result.kinked) and np.isnan(result.agreement)
    # Without the detection the same check shows a misleading low score instead.
    blind = check_layer(ReLU(), x, trials=6, kink_tol=np.inf).results[0]
    assert blind.status == "FAIL" and blind.agreement < 99


def test_a_kink_crossed_only_at_the_first_step_is_resolved_by_a_smaller_step(rng):
    x = rng.normal(size=(2, 3, 6, 6))
    x[0, 0, 0, :] = 2e-4  # within reach of a 1e-3 step, out of reach of 1e-5
    result = check_layer(ReLU(), x, trials=6).results[0]
    assert result.status == "ok" and not any(result.kinked)
    assert result.agreement > 99.9999


def test_float32_layer_warns(rng):
    with pytest.warns(UserWarning, match="float32"):
        report = check_layer(Float32Tanh(), rng.normal(size=(2, 5)), trials=4)
    assert any("float32" in w for w in report.warnings)


def test_weights_are_restored_and_input_untouched(rng):
    layer = nn_convolutional_layer(3, 3, 10, 3, 5, rng=0)
    W, b = (p.copy() for p in layer.get_weights())
    x = _conv_input(rng)
    x0 = x.copy()
    check_layer(layer, x, trials=3)
    np.testing.assert_array_equal(layer.get_weights()[0], W)
    np.testing.assert_array_equal(layer.get_weights()[1], b)
    np.testing.assert_array_equal(x, x0)


def test_a_layer_that_raises_is_a_failed_report(rng):
    class Broken(ReLU):
        def backprop(self, x, dLdy):
            raise RuntimeError("not implemented yet")

    report = check_layer(Broken(), rng.normal(size=(3, 4)))
    assert not report.passed
    assert report.results[0].status == "error"
    assert "backprop raised RuntimeError: not implemented yet" in report.results[0].error


def test_wrong_gradient_shape_is_reported(rng):
    class Flat(ReLU):
        def backprop(self, x, dLdy):
            return super().backprop(x, dLdy).ravel()

    report = check_layer(Flat(), rng.normal(size=(3, 4)))
    assert report.results[0].status == "error" and "shape (12,)" in report.results[0].error


def test_relative_errors_both_zero_is_agreement():
    np.testing.assert_array_equal(relative_errors([0.0, 1.0, 0.0], [0.0, 1.0, 2.0]), [0.0, 0.0, 1.0])


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="^check_layer: trials must be >= 1, got 0"):
        check_layer(ReLU(), np.ones(3), trials=0)
    with pytest.raises(ValueError, match="^check_layer: method must be one of"):
        check_layer(ReLU(), np.ones(3), method="backward")


# ---- the command line: the course's gradient accuracy script ----------------------------

GOOD_HOMEWORK = '''
import numpy as np
from nnlayers import conv4d, conv4d_grad_input, conv4d_grad_weight

class nn_convolutional_layer:
    def __init__(self, filter_width, filter_height, input_size, in_ch_size, num_filters, std=1e0):
        self.W = np.random.normal(0, std / np.sqrt(in_ch_size * filter_width * filter_height / 2),
                                  (num_filters, in_ch_size, filter_width, filter_height))
        self.b = 0.01 + np.zeros((1, num_filters, 1, 1))

    def update_weights(self, dW, db):
        self.W += dW
        self.b += db

    def get_weights(self):
        return self.W, self.b

    def set_weights(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
        return conv4d(x, self.W) + self.b

    def backprop(self, x, dLdy):
        dLdW = conv4d_grad_weight(x, dLdy, self.W.shape)
        {dLdW_line}
        return conv4d_grad_input(dLdy, self.W, x.shape), dLdW, dLdy.sum(axis=(0, 2, 3)).reshape(self.b.shape)

class nn_max_pooling_layer:
    def __init__(self, stride, pool_size):
        self.stride = stride
        self.pool_size = pool_size

    def forward(self, x):
        n, c, h, w = x.shape
        p = self.pool_size
        return x.reshape(n, c, h // p, p, w // p, p).max(axis=(3, 5))

    def backprop(self, x, dLdy):
        n, c, h, w = x.shape
        p = self.pool_size
        win = x.reshape(n, c, h // p, p, w // p, p).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // p, w // p, p * p)
        {pool_line}
        return dx.reshape(n, c, h // p, w // p, p, p).transpose(0, 1, 2, 4, 3, 5).reshape(x.shape)

# the course's own test loop runs at module level; the grader must not run it
batch_size = 8
raise SystemExit("module-level test code ran")
'''

RIGHT_POOL = ("dx = (np.arange(p * p) == win.argmax(axis=-1)[..., None]) * dLdy[..., None]")
SPREAD_POOL = ("dx = (win == win.max(axis=-1, keepdims=True)) * dLdy[..., None]")


def _homework(tmp_path, dLdW_line="pass", pool_line=RIGHT_POOL, name="hw.py"):
    path = tmp_path / name
    path.write_text(GOOD_HOMEWORK.replace("{dLdW_line}", dLdW_line).replace("{pool_line}", pool_line))
    return str(path)


def test_cli_checks_the_kit(capsys):
    assert main(["--trials", "3", "--verbose"]) == 0
    out = capsys.readouterr().out
    for line in ("exact change", "apprx change", "accuracy results", "conv layer dLdx",
                 "conv layer dLdW", "conv layer dLdb", "maxpool layer dLdx", "PASSED"):
        assert line in out


def test_cli_passes_a_right_homework_file_without_running_its_test_loop(tmp_path, capsys):
    assert main([_homework(tmp_path), "--trials", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "module-level test code ran" not in out and "PASSED" in out


def test_cli_fails_a_homework_file_with_a_transposed_dLdW(tmp_path, capsys):
    path = _homework(tmp_path, dLdW_line="dLdW = dLdW.transpose(0, 1, 3, 2)")
    assert main([path, "--trials", "3"]) == 1
    out = capsys.readouterr().out
    scores = dict(re.findall(r"^conv layer (dLd\w) ([-\d.]+) %$", out, re.MULTILINE))
    assert float(scores["dLdW"]) < 99.0
    assert float(scores["dLdx"]) > 99.9999 and float(scores["dLdb"]) > 99.9999
    assert "FAILED" in out


def test_cli_warns_about_a_maxpool_that_spreads_ties_and_fails_it_under_strict(tmp_path, capsys):
    path = _homework(tmp_path, pool_line=SPREAD_POOL)
    assert main([path, "--trials", "3"]) == 0          # the course's rubric: a warning
    out = capsys.readouterr().out
    row = re.search(r"^nn_max_pooling_layer\s+dLdx \(ties\).*$", out, re.MULTILINE).group(0)
    assert row.endswith("warn")
    assert "gives a tied window's gradient to every tied maximum" in out
    assert "first maximum" in out and "ReLU" in out       # what torch does, and when it matters
    assert main([path, "--trials", "3", "--strict"]) == 1
    row = re.search(r"^nn_max_pooling_layer\s+dLdx \(ties\).*$", capsys.readouterr().out,
                    re.MULTILINE).group(0)
    assert row.endswith("FAIL")


def test_cli_reports_a_file_that_does_not_parse(tmp_path, capsys):
    path = tmp_path / "broken.py"
    path.write_text("class nn_convolutional_layer(:\n")
    assert main([str(path)]) == 1
    assert "broken.py does not parse: SyntaxError" in capsys.readouterr().out


def test_cli_grades_layers_despite_a_failed_import_and_says_so(tmp_path, capsys):
    good = _homework(tmp_path).replace("hw.py", "hw2.py")
    text = (tmp_path / "hw.py").read_text()
    (tmp_path / "hw2.py").write_text("import no_such_module_anywhere\n" + text)
    assert main([good, "--quiet", "--trials", "3"]) == 0
    out = capsys.readouterr().out
    assert "an import failed and was skipped (line 1: No module named 'no_such_module_anywhere')" in out


def test_cli_reports_a_layer_that_needed_a_missing_import(tmp_path, capsys):
    path = tmp_path / "hw.py"
    path.write_text(textwrap.dedent('''
        from no_such_module_anywhere import magic
        class nn_convolutional_layer:
            def __init__(self, *args):
                self.W = magic(args)
    '''))
    assert main([str(path), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "constructor raised NameError: name 'magic' is not defined" in out


def test_cli_reports_a_layer_that_raises_and_a_missing_class(tmp_path, capsys):
    path = tmp_path / "hw.py"
    path.write_text(textwrap.dedent('''
        class nn_convolutional_layer:
            def __init__(self, *args):
                pass
            def forward(self, x):
                raise NotImplementedError("TODO")
            def backprop(self, x, dLdy):
                raise NotImplementedError("TODO")
    '''))
    assert main([str(path), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "forward raised NotImplementedError: TODO" in out
    assert "no class nn_maxpool_layer or nn_max_pooling_layer found" in out


def test_cli_checks_module_colon_class(tmp_path, capsys):
    path = tmp_path / "mylayers.py"
    path.write_text(textwrap.dedent('''
        import numpy as np
        class ReLU:
            def forward(self, x):
                return np.maximum(x, 0)
            def backprop(self, x, dLdy):
                return dLdy * (x > 0)
        class WrongReLU(ReLU):
            def backprop(self, x, dLdy):
                return dLdy * (x >= -1)
    '''))
    assert main([f"{path}:ReLU", "--shape", "2,3,5,5", "--trials", "4", "--quiet"]) == 0
    assert main([f"{path}:WrongReLU", "--shape", "2,3,5,5", "--trials", "4", "--quiet"]) == 1
    assert main([f"{path}:NoSuchLayer"]) == 1
    assert "defines no class 'NoSuchLayer'" in capsys.readouterr().out


def test_cli_json_and_threshold(capsys):
    assert main(["--json", "--trials", "2"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] is True
    layers = document["submissions"][0]["layers"]
    rows = {(layer["layer"], g["gradient"]) for layer in layers for g in layer["checks"]}
    assert {("conv layer", "dLdx"), ("conv layer", "dLdW"), ("conv layer", "dLdb"),
            ("maxpool layer", "dLdx"), ("maxpool layer", "dLdx (ties)"),
            ("batchnorm 4-D", "dLdgamma"), ("batchnorm 4-D", "dLdbeta")} <= rows
    assert all(g["agreement"] > 99.9999 for layer in layers for g in layer["checks"])
    assert main(["--threshold", "100.5", "--trials", "2", "--quiet"]) == 1


def test_cli_checks_every_layer_of_the_kit_and_lists_them(capsys):
    import nnlayers

    assert main(["--list"]) == 0
    listed = capsys.readouterr().out
    assert main(["--quiet", "--trials", "3"]) == 0
    checked = capsys.readouterr().out
    layer_classes = [name for name in nnlayers.__all__ if name.endswith(("_layer", "_loss"))
                     and name != "nn_max_pooling_layer"]   # the course's name for nn_maxpool_layer
    assert len(layer_classes) == 18
    for keyword in ("conv layer", "maxpool layer", "conv1d", "transposed conv", "upsample",
                    "downsample", "meanpool", "global max", "global mean", "flatten", "linear",
                    "relu", "tanh", "sigmoid", "softmax", "cross-entropy", "batchnorm",
                    "transposed 1-D", "dropout", "residual block"):
        assert keyword in listed and keyword in checked


def test_smooth_layers_are_not_mistaken_for_kinks(rng):
    import nnlayers

    for layer, x in ((nnlayers.nn_tanh_layer(), rng.normal(size=(3, 8))),
                     (nnlayers.nn_batchnorm_layer(4), rng.normal(size=(6, 4, 3, 3))),
                     (nnlayers.nn_softmax_layer(), rng.normal(size=(5, 7)) * 3)):
        report = check_layer(layer, x, trials=10)
        assert report.passed, report
        for result in report.results:
            assert not any(result.kinked) and result.agreement > 99.9999


def test_python_dash_m_gradcheck_runs():
    done = subprocess.run([sys.executable, "-m", "gradcheck", "--quiet", "--trials", "2"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conv layer dLdx 99.9999" in done.stdout or "conv layer dLdx 100.0" in done.stdout
