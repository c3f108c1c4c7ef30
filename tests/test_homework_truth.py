"""The homework fixtures' MANIFEST is true: each class's default and strict verdict, by torch.

For every non-hostile entry of tests/homework/MANIFEST.json, the test loads the fixture in its
own style (tests/homework_styles.py, independent of gradcheck), runs each class on

- the course's own shapes, on tie-free inputs (distinct values in a shuffled order): every row
  (forward and each gradient) must match torch (float64) for a default "pass";
- the shapes the course never varies (non-square and odd maps, non-square filters, stride 2 and
  3, padding, overlapping pools) and, for max pools, tie-filled inputs judged by torch's rule
  (a tie's gradient goes to the first maximum): these count too for a strict "pass";

and asserts exactly the verdicts the manifest records, and that the row the manifest names for a
planted mistake is one that fails.
"""

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import homework_refs as refs  # noqa: E402
import homework_styles as styles  # noqa: E402

refs.use_torch(torch)

HOMEWORK = Path(__file__).parent / "homework"
MANIFEST = json.loads((HOMEWORK / "MANIFEST.json").read_text(encoding="utf-8"))
TOLERANCE = 1e-7  # max |got - torch| / max |torch|; right float64 code is near 1e-15


def conv(x, f, kh, kw, stride=1, pad=0):
    return {"x": x, "f": f, "kh": kh, "kw": kw, "stride": stride, "pad": pad}


def pool(x, kh, kw, stride):
    return {"x": x, "kh": kh, "kw": kw, "stride": stride}


def ties(cfg):
    return dict(cfg, ties=True)


# (kind, own shapes, shapes the course never varies + tie checks) per class of each style
COURSE_CONV = ("conv2d", [conv((8, 3, 32, 32), 8, 3, 3)],
               [conv((2, 3, 11, 9), 4, 3, 2), conv((2, 2, 7, 10), 3, 2, 4)])
COURSE_POOL = ("maxpool", [pool((8, 3, 32, 32), 2, 2, 2)],
               [pool((2, 3, 11, 9), 3, 3, 2), pool((2, 3, 10, 7), 2, 2, 3),
                ties(pool((4, 3, 16, 16), 2, 2, 2))])
MYTORCH_POOL = [pool((2, 3, 12, 12), 2, 2, 2)], [pool((2, 3, 11, 9), 3, 3, 2),
                                                  ties(pool((2, 3, 12, 12), 2, 2, 2))]
MYTORCH_POOL1 = [{"x": (2, 3, 10, 10), "kh": 3, "kw": 3}], [{"x": (2, 3, 9, 7), "kh": 2, "kw": 2},
                                                             ties({"x": (2, 3, 8, 8), "kh": 2, "kw": 2})]
COURSE = {"nn_convolutional_layer": COURSE_CONV, "nn_maxpool_layer": COURSE_POOL,
          "nn_max_pooling_layer": COURSE_POOL}  # the course has used both pool names
SUITES = {
    "course": COURSE,
    "course_stateful": COURSE,
    "course_torch": COURSE,
    "mytorch": {
        "Conv1d_stride1": ("conv1d", [{"x": (2, 5, 20), "f": 7, "k": 4}], [{"x": (3, 4, 17), "f": 2, "k": 5}]),
        "Conv1d": ("conv1d", [{"x": (2, 5, 21), "f": 7, "k": 4, "stride": 2}],
                   [{"x": (3, 4, 17), "f": 2, "k": 5, "stride": 3},
                    {"x": (2, 3, 16), "f": 2, "k": 3, "stride": 2, "pad": 2}]),
        "Conv2d_stride1": ("conv2d", [{"x": (2, 5, 12, 12), "f": 7, "kh": 3}],
                           [{"x": (2, 4, 13, 10), "f": 3, "kh": 4}]),
        "Conv2d": ("conv2d", [{"x": (2, 5, 12, 12), "f": 7, "kh": 3, "stride": 2}],
                   [{"x": (2, 4, 13, 10), "f": 3, "kh": 4, "stride": 3},
                    {"x": (2, 3, 9, 8), "f": 2, "kh": 3, "stride": 2, "pad": 1}]),
        "ConvTranspose1d": ("convT", [{"x": (2, 5, 10), "f": 7, "k": 3, "up": 2}],
                            [{"x": (2, 4, 7), "f": 3, "k": 4, "up": 3}]),
        "ConvTranspose2d": ("convT", [{"x": (2, 5, 6, 6), "f": 7, "k": 3, "up": 2}],
                            [{"x": (2, 4, 5, 7), "f": 3, "k": 2, "up": 3}]),
        "Upsample1d": ("upsample", [{"x": (2, 3, 10), "k": 2}], [{"x": (2, 3, 7), "k": 3}]),
        "Upsample2d": ("upsample", [{"x": (2, 3, 6, 6), "k": 2}], [{"x": (2, 3, 5, 7), "k": 3}]),
        "Downsample1d": ("downsample", [{"x": (2, 3, 21), "k": 2}], [{"x": (2, 3, 17), "k": 3}]),
        "Downsample2d": ("downsample", [{"x": (2, 3, 21, 21), "k": 2}], [{"x": (2, 3, 13, 10), "k": 3}]),
        "MaxPool2d_stride1": ("maxpool",) + MYTORCH_POOL1,
        "MaxPool2d": ("maxpool",) + MYTORCH_POOL,
        "MeanPool2d_stride1": ("meanpool", MYTORCH_POOL1[0], MYTORCH_POOL1[1][:1]),
        "MeanPool2d": ("meanpool", MYTORCH_POOL[0], MYTORCH_POOL[1][:1]),
        "Flatten": ("flatten", [{"x": (2, 3, 4, 4)}], [{"x": (2, 3, 5, 7)}]),
    },
    "cs231n": {
        "conv_forward_naive": ("conv2d", [conv((4, 3, 5, 5), 2, 3, 3, 1, 1)],
                               [conv((2, 3, 9, 8), 4, 3, 2, 2, 1), conv((2, 3, 10, 9), 3, 2, 3, 3, 0)]),
        "max_pool_forward_naive": ("maxpool", [pool((3, 2, 8, 8), 2, 2, 2)],
                                   [pool((2, 3, 9, 7), 3, 2, 2), ties(pool((3, 2, 8, 8), 2, 2, 2))]),
        "affine_forward": ("affine", [{"x": (2, 4, 5, 6), "m": 3}], [{"x": (3, 7), "m": 5}]),
        "relu_forward": ("relu", [{"x": (3, 4)}], [{"x": (2, 3, 5, 7)}]),
    },
    "dlfs": {
        "Convolution": ("conv2d", [conv((2, 1, 28, 28), 30, 5, 5)],
                        [conv((2, 3, 9, 8), 4, 3, 2, 2, 1), conv((2, 3, 10, 9), 3, 2, 3, 3, 0)]),
        "Pooling": ("maxpool", [pool((2, 30, 24, 24), 2, 2, 2)],
                    [pool((2, 3, 9, 7), 3, 2, 2), ties(pool((2, 3, 8, 8), 2, 2, 2))]),
        "Affine": ("affine", [{"x": (2, 30, 4, 4), "m": 10}], [{"x": (3, 7), "m": 5}]),
        "Relu": ("relu", [{"x": (3, 4)}], [{"x": (2, 3, 5, 7)}]),
    },
}


def reference(kind, cfg):
    """(torch function, its keyword arguments) for one configuration."""
    stride = cfg.get("stride", 1)
    return {
        "conv2d": (refs.conv2d, {"stride": stride, "padding": cfg.get("pad", 0)}),
        "conv1d": (refs.conv1d, {"stride": stride, "padding": cfg.get("pad", 0)}),
        "convT": (refs.conv_transpose, {"k": cfg.get("up")}),
        "maxpool": (refs.max_pool, {"kernel": (cfg.get("kh"), cfg.get("kw")), "stride": stride}),
        "meanpool": (refs.mean_pool, {"kernel": (cfg.get("kh"), cfg.get("kw")), "stride": stride}),
        "upsample": (refs.upsample, {"k": cfg.get("k")}),
        "downsample": (refs.downsample, {"k": cfg.get("k")}),
        "affine": (refs.affine, {}),
        "relu": (refs.relu, {}),
        "flatten": (refs.flatten, {}),
    }[kind]


def adapter(style, names, name, kind, cfg, rng):
    if style == "cs231n":
        return styles.make_cs231n(names, kind, cfg, rng)
    if style == "dlfs":
        return styles.make_dlfs(names[name], kind, cfg, rng)
    make = {"course": styles.make_course, "course_stateful": styles.make_stateful,
            "course_torch": styles.make_torch, "mytorch": styles.make_mytorch}[style]
    return make(names[name], kind, cfg)


def agrees(got, expected):
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if got.shape != expected.shape:
        return False
    scale = max(np.max(np.abs(expected), initial=0.0), 1e-12)
    return bool(np.max(np.abs(got - expected), initial=0.0) <= TOLERANCE * scale)


def failed_rows(style, names, name, kind, cfg):
    """The rows (forward, dLdx, dLdW, dLdb) where the homework disagrees with torch on cfg."""
    rng = np.random.default_rng(7)
    x = (refs.tie_filled if cfg.get("ties") else refs.tie_free)(rng, cfg["x"])
    function, config = reference(kind, cfg)
    every_row = {"forward", "dLdx", "dLdW", "dLdb"}
    try:
        params, run = adapter(style, names, name, kind, cfg, rng)  # the homework's constructor
    except Exception:  # noqa: BLE001 - a wrong homework may raise anything: every row fails
        return every_row
    dy = rng.normal(0, 1, refs.output_shape(function, x, params, **config))
    expected = refs.truth(function, x, params, dy, **config)  # our own code: errors surface
    try:
        got = run(x, dy)
    except Exception:  # noqa: BLE001
        return every_row
    return {row for row, value in expected.items() if not agrees(got.get(row), value)}


def applies(style, cls, cfg):
    """MyTorch's padding came in later years: a padding configuration only for classes taking it."""
    return not (style == "mytorch" and "pad" in cfg and not styles.takes(cls, "padding"))


def verdicts(entry, name, names):
    kind, own, varied = SUITES[entry["style"]][name]
    varied = [cfg for cfg in varied if applies(entry["style"], names.get(name), cfg)]
    on_own = set().union(*(failed_rows(entry["style"], names, name, kind, cfg) for cfg in own))
    on_varied = set().union(*(failed_rows(entry["style"], names, name, kind, cfg) for cfg in varied))
    default = "fail" if on_own else "pass"
    strict = "fail" if on_own or on_varied else "pass"
    return default, strict, on_own or on_varied


HONEST = [entry for entry in MANIFEST if not entry["hostile"]]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny tensors of ever new shapes: one thread is much faster than a contended pool."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("entry", HONEST, ids=[entry["path"] for entry in HONEST])
def test_manifest_verdicts_are_true(entry):
    names = styles.load(HOMEWORK / entry["path"], entry["style"])
    for name, record in entry["classes"].items():
        default, strict, failing = verdicts(entry, name, names)
        assert (default, strict) == (record["default"], record["strict"]), (name, failing)
        if record["mistake"] is not None:
            assert record["row"] in failing, (name, record["row"], failing)


def test_every_style_has_a_right_submission_and_every_mistake_is_planted():
    right = {e["style"] for e in HONEST
             if all(c["default"] == c["strict"] == "pass" for c in e["classes"].values())}
    assert right == set(SUITES)
    planted = {c["mistake"] for e in HONEST for c in e["classes"].values()}
    assert planted - {None} == {
        "zero", "missing_bias", "spatial_flip", "transposed", "sign", "factor", "wrong_argmax",
        "spread_pool", "ties_all", "shapes_nonsquare", "shapes_stride", "shapes_padding",
        "shapes_overlap", "shift", "partial_batch", "border", "template"}


def test_every_manifest_path_exists_and_every_fixture_is_listed():
    listed = {entry["path"] for entry in MANIFEST}
    assert all((HOMEWORK / path).exists() for path in listed)
    on_disk = {str(p.relative_to(HOMEWORK)) for style in HOMEWORK.iterdir() if style.is_dir()
               and not style.name.startswith("_") for p in style.iterdir()
               if not p.name.startswith(("_", "."))}
    assert on_disk == listed


def test_manifest_entries_are_well_formed():
    mistakes = {None, "zero", "missing_bias", "spatial_flip", "transposed", "sign", "factor",
                "wrong_argmax", "spread_pool", "ties_all", "shapes_nonsquare", "shapes_stride",
                "shapes_padding", "shapes_overlap", "shift", "partial_batch", "border", "template"}
    for entry in MANIFEST:
        assert entry["style"] in SUITES, entry["path"]
        assert entry["note"], entry["path"]
        assert ("expect" in entry) == entry["hostile"], entry["path"]
        if entry["hostile"]:
            assert entry["expect"] in {"fail", "timeout", "memory", "crash", "tampering"}
        for name, record in entry["classes"].items():
            assert name in SUITES[entry["style"]], (entry["path"], name)
            assert record["default"] in {"pass", "fail"} and record["strict"] in {"pass", "fail"}
            assert not (record["default"] == "fail" and record["strict"] == "pass")
            assert record["mistake"] in mistakes
            assert (record["row"] is None) == (record["mistake"] is None)
            assert (record["mistake"] is None) <= (record["default"] == record["strict"] == "pass"
                                                   or entry["hostile"])
