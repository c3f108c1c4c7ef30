"""Write the hostile homework fixtures and their manifest entries (hostile/_entries.json).

Every hostile file holds WRONG course layers (a conv layer whose forward and backprop return
zeros, a max-pool that does the same) plus one trick, so the only honest verdict is a failure.
Every trick is bounded and harmless to the machine: at most one `sleep 1000` child, files
written only under /tmp or into a gradcheck package that itself lives under the temp folder
(the copy a test provides; a real install elsewhere is never touched), one array of 5 GiB at
most, 16 MB of output at most.  Run from the repository root, then run _make_variants.py:

    python tests/homework/hostile/_make_hostile.py && python tests/homework/_make_variants.py
"""

import json
from pathlib import Path

HERE = Path(__file__).parent

WRONG_LAYERS = '''\
class nn_convolutional_layer:
{class_body}
    def __init__(self, filter_width, filter_height, input_size, in_ch_size, num_filters, std=1e0):
        self.W = np.random.normal(0, std, (num_filters, in_ch_size, filter_width, filter_height))
        self.b = 0.01 + np.zeros((1, num_filters, 1, 1))

    def get_weights(self):
        return self.W, self.b

    def set_weights(self, W, b):
        self.W, self.b = W, b

    def update_weights(self, dW, db):
        self.W += dW
        self.b += db

    def forward(self, x):
{forward}        n, c, h, w = x.shape
        f, _, fw, fh = self.W.shape
        return {result}(np.zeros((n, f, h - fw + 1, w - fh + 1)))

    def backprop(self, x, dLdy):
{backprop}        return {result}(np.zeros(x.shape)), {result}(np.zeros(self.W.shape)), {result}(np.zeros(self.b.shape))


class nn_maxpool_layer:
    def __init__(self, pool_size, stride):
        self.pool_size, self.stride = pool_size, stride

    def forward(self, x):
{forward}        n, c, h, w = x.shape
        size = ((h - self.pool_size) // self.stride + 1, (w - self.pool_size) // self.stride + 1)
        return {result}(np.zeros((n, c) + size))

    def backprop(self, x, dLdy):
{backprop}        return {result}(np.zeros(x.shape))
'''

# the patch a hostile file applies to whatever gradcheck it can import in its own process:
# relative errors become zeros; every property named agreement/passed/status/ok/score of a
# gradcheck class answers 100 / True / "ok"
PATCH = '''\
def _rig_gradcheck():
    import importlib
    import pkgutil
    try:
        package = importlib.import_module("gradcheck")
    except ImportError:
        return
    modules = [package]
    for info in pkgutil.iter_modules(package.__path__, "gradcheck."):
        try:
            modules.append(importlib.import_module(info.name))
        except Exception:
            pass
    fake = {"agreement": 100.0, "passed": True, "status": "ok", "ok": True, "score": 1.0}
    for module in modules:
        for name, value in list(vars(module).items()):
            if callable(value) and not isinstance(value, type) and "relative_error" in name:
                setattr(module, name, lambda exact, *a, **k: np.zeros(np.shape(exact)))
            if isinstance(value, type) and value.__module__.startswith("gradcheck"):
                for attr, answer in fake.items():
                    if isinstance(vars(value).get(attr), property):
                        setattr(value, attr, property(lambda self, answer=answer: answer))
'''


def hostile(path, expect, note, head="", class_body="", forward="", backprop="", tail="",
            result=""):
    """One hostile file: imports, `head` at module level, the wrong layers with the trick."""
    text = ("import numpy as np\n" + head + "\n\n"
            + WRONG_LAYERS.format(class_body=class_body, forward=forward, backprop=backprop,
                                  result=result) + tail)
    return path, text, expect, note


def indent(code, spaces):
    return "".join(" " * spaces + line + "\n" if line else "\n" for line in code.splitlines())


SLEEP = "time.sleep(10 ** 6)"
FILES = [
    # ---- rewriting gradcheck from the homework's own definitions --------------------------------
    hostile("patch_class_body.py", "fail", "the conv class body imports gradcheck and rigs its "
            "error/agreement functions", head="\n\n" + PATCH,
            class_body=indent("_rig_gradcheck()", 4)),
    hostile("patch_default_arg.py", "fail", "a default argument's expression rigs gradcheck "
            "when the def is executed", head="\n\n" + PATCH + "\n\ndef helper(rigged=_rig_gradcheck()):\n"
            "    return rigged\n"),
    hostile("patch_decorator.py", "fail", "a class decorator rigs gradcheck when the class is "
            "defined", head="\n\n" + PATCH + "\n\ndef layer(cls):\n    _rig_gradcheck()\n    return cls\n",
            class_body=""),
    hostile("patch_try.py", "fail", "a module-level try: assignment rigs gradcheck (the shape "
            "of try: import ... except ImportError)", head="\n\n" + PATCH + "\n\ntry:\n"
            "    rigged = _rig_gradcheck()\nexcept ImportError:\n    rigged = None\n"),
    hostile("patch_at_forward.py", "fail", "forward rigs gradcheck in the process that calls it",
            head="\n\n" + PATCH, forward=indent("_rig_gradcheck()", 8)),
    # ---- ending the process -------------------------------------------------------------------
    hostile("exit_at_load.py", "crash", "sys.exit(0) in the conv class body (while loading)",
            head="import sys", class_body=indent("sys.exit(0)", 4)),
    hostile("exit_in_forward.py", "crash", "sys.exit(0) in forward", head="import sys",
            forward=indent("sys.exit(0)", 8)),
    hostile("os_exit_in_forward.py", "crash", "os._exit(0) in forward", head="import os",
            forward=indent("os._exit(0)", 8)),
    hostile("atexit_passed.py", "fail", "registers an atexit handler (in the class body) that "
            "prints PASSED and the course's 100 % lines", head="import atexit\n\n\n"
            "def _claim():\n    print('conv layer dLdx 100.0 %')\n    print('maxpool layer dLdx 100.0 %')\n"
            "    print('PASSED')\n", class_body=indent("atexit.register(_claim)", 4)),
    hostile("keyboard_interrupt.py", "crash", "forward raises KeyboardInterrupt",
            forward=indent("raise KeyboardInterrupt", 8)),
    hostile("system_exit_backprop.py", "crash", "backprop raises SystemExit(0)",
            backprop=indent("raise SystemExit(0)", 8)),
    hostile("custom_base_exception.py", "crash", "forward raises a BaseException subclass",
            head="\n\nclass Escape(BaseException):\n    pass\n", forward=indent("raise Escape('bye')", 8)),
    hostile("infinite_recursion.py", "crash", "forward calls itself forever (RecursionError)",
            forward=indent("return self.forward(x)", 8)),
    # ---- time --------------------------------------------------------------------------------
    hostile("sleep_class_body.py", "timeout", "time.sleep(10**6) in the conv class body",
            head="import time", class_body=indent(SLEEP, 4)),
    hostile("sleep_forward.py", "timeout", "time.sleep(10**6) in forward", head="import time",
            forward=indent(SLEEP, 8)),
    hostile("ignore_sigterm.py", "timeout", "forward ignores SIGTERM, then sleeps 10**6 s "
            "(only SIGKILL ends it)", head="import signal\nimport time",
            forward=indent("signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + SLEEP, 8)),
    # ---- reaching outside the worker -----------------------------------------------------------
    hostile("stack_walk.py", "fail", "forward walks the call stack (sys._getframe) for the "
            "grader's upstream gradient V and base point p and answers V * sum(x - p) / |V|^2, "
            "so the finite difference of sum(V * forward) agrees with a backprop of ones",
            head="import sys\n\n\ndef _grader_arrays(x):\n"
            "    frame = sys._getframe(2)\n"
            "    while frame is not None:\n"
            "        scopes = [frame.f_locals] + [vars(v) for v in frame.f_locals.values()\n"
            "                                     if hasattr(v, '__dict__') and not isinstance(v, type)]\n"
            "        for scope in scopes:\n"
            "            upstream = next((scope[n] for n in ('upstream', 'dLdy', 'dy', 'V')\n"
            "                             if isinstance(scope.get(n), np.ndarray)), None)\n"
            "            point = next((scope[n] for n in ('point', 'x0', 'base')\n"
            "                          if isinstance(scope.get(n), np.ndarray)), None)\n"
            "            if upstream is not None and point is not None and point.shape == x.shape:\n"
            "                return upstream, point\n"
            "        frame = frame.f_back\n"
            "    return None, None\n",
            forward=indent("upstream, point = _grader_arrays(x)\n"
                           "if upstream is not None:\n"
                           "    return upstream * np.sum(x - point) / np.sum(upstream * upstream)", 8),
            backprop=indent("if isinstance(self, nn_maxpool_layer):\n"
                            "    return np.ones(x.shape)\n"
                            "return np.ones(x.shape), np.zeros(self.W.shape), np.zeros(self.b.shape)", 8)),
    hostile("write_gradcheck.py", "tampering", "the class body appends a line to the installed "
            "gradcheck's __init__.py that rigs it (only if that package lies under the temp "
            "folder: the copy a test provides)",
            head="import importlib.util\nimport os\nimport tempfile\n\n\ndef _tamper():\n"
            "    spec = importlib.util.find_spec('gradcheck')\n"
            "    if spec is None or spec.origin is None:\n        return\n"
            "    target = os.path.realpath(spec.origin)\n"
            "    temp = os.path.realpath(tempfile.gettempdir())\n"
            "    if not target.startswith(temp + os.sep) and not target.startswith('/tmp/'):\n"
            "        return  # never touch a real install\n"
            "    with open(target, 'a') as handle:\n"
            "        handle.write('\\nPASSED_BY_HOMEWORK = True  # written by write_gradcheck.py\\n')\n",
            class_body=indent("_tamper()", 4)),
    hostile("spawn_sleep.py", "fail", "forward starts one `sleep 1000` child process (once)",
            head="import subprocess\n\nSPAWNED = []\n",
            forward=indent("if not SPAWNED:\n    SPAWNED.append(subprocess.Popen(['sleep', '1000']))", 8)),
    hostile("socket_localhost.py", "fail", "forward opens a TCP connection to 127.0.0.1:9 "
            "(refused or denied: ignored)", head="import socket",
            forward=indent("try:\n    socket.create_connection(('127.0.0.1', 9), timeout=1).close()\n"
                           "except OSError:\n    pass", 8)),
    hostile("write_tmp.py", "fail", "forward writes /tmp/nnlayers-hostile-write-tmp.txt, "
            "outside the worker's folder", forward=indent(
                "with open('/tmp/nnlayers-hostile-write-tmp.txt', 'w') as handle:\n"
                "    handle.write('written by a homework')", 8)),
    # ---- memory and output ---------------------------------------------------------------------
    hostile("huge_array.py", "memory", "forward fills a 5 GiB array (a memory limit below "
            "5 GiB stops it)", forward=indent("big = np.ones(5 * 2 ** 30 // 8)", 8)),
    hostile("huge_request.py", "fail", "forward asks for a 256 TiB array: MemoryError at once "
            "(never touched, so harmless even where it is granted)",
            forward=indent("big = np.empty(2 ** 45)", 8)),
    hostile("print_megabytes.py", "fail", "forward prints 1 MB per call, 16 MB in all",
            head="PRINTED = [0]\n", forward=indent(
                "if PRINTED[0] < 16:\n    PRINTED[0] += 1\n    print('x' * 2 ** 20)", 8)),
    # ---- lying results ---------------------------------------------------------------------------
    hostile("ndarray_subclass.py", "fail", "results are an ndarray subclass whose ==, -, abs, "
            "sum and allclose claim perfect agreement",
            head="\n\nclass Agreeable(np.ndarray):\n"
            "    def __eq__(self, other):\n        return True\n\n"
            "    def __sub__(self, other):\n        return np.zeros(self.shape).view(Agreeable)\n\n"
            "    __rsub__ = __sub__\n\n"
            "    def __abs__(self):\n        return np.zeros(self.shape).view(Agreeable)\n\n"
            "    def sum(self, *args, **kwargs):\n        return 0.0\n\n\n"
            "def agreeable(a):\n    return a.view(Agreeable)\n", result="agreeable"),
    hostile("lying_array.py", "fail", "results are objects whose __array__ returns random "
            "values and whose __eq__ is always True",
            head="\n\nclass Liar:\n    def __init__(self, a):\n        self.shape = a.shape\n"
            "        self.dtype = a.dtype\n\n"
            "    def __array__(self, dtype=None, copy=None):\n"
            "        return np.random.normal(size=self.shape)\n\n"
            "    def __eq__(self, other):\n        return True\n\n"
            "    def __len__(self):\n        return self.shape[0]\n", result="Liar"),
    hostile("returns_float32.py", "fail", "zeros in float32", result="np.float32"),
    hostile("returns_int.py", "fail", "zeros as int64 arrays",
            head="\n\ndef as_int(a):\n    return a.astype(np.int64)\n", result="as_int"),
    hostile("returns_object.py", "fail", "object arrays of Python floats",
            head="\n\ndef as_object(a):\n    return a.astype(object)\n", result="as_object"),
    hostile("wrong_shapes.py", "fail", "every result transposed to a wrong shape (axes reversed)",
            head="\n\ndef wrong(a):\n    return np.ones(a.shape[::-1] + (2,))\n", result="wrong"),
]

NOT_PYTHON3 = {
    "python2.py": ("fail", "a Python 2 file (print statements): does not compile",
                   "import numpy as np\n\n\nclass nn_convolutional_layer:\n"
                   "    def forward(self, x):\n        print 'forward', x.shape\n"
                   "        return x\n"),
    "does_not_parse.py": ("fail", "a file that does not parse (unclosed bracket)",
                          "import numpy as np\n\n\nclass nn_convolutional_layer:\n"
                          "    def forward(self, x:\n        return np.zeros(x.shape\n"),
}

SIBLING_HOMEWORK = "import numpy as np\nfrom helpers import *\n\n\n" + WRONG_LAYERS.format(
    class_body="", forward="", backprop="", result="")
SIBLING_HELPERS = "import numpy as np\n\n\n" + PATCH + "\n\n_rig_gradcheck()  # runs on import\n"


def entry(path, expect, note):
    fail = {"default": "fail", "strict": "fail", "mistake": None, "row": None}
    return {"path": f"hostile/{path}", "style": "course", "hostile": True,
            "classes": {"nn_convolutional_layer": dict(fail), "nn_maxpool_layer": dict(fail)},
            "expect": expect, "note": note}


def main():
    entries = []
    for path, text, expect, note in FILES:
        text = text.replace("class nn_convolutional_layer:\n",
                            "@layer\nclass nn_convolutional_layer:\n") if path == "patch_decorator.py" else text
        (HERE / path).write_text(text, encoding="utf-8")
        entries.append(entry(path, expect, note))
    for path, (expect, note, text) in NOT_PYTHON3.items():
        (HERE / path).write_text(text, encoding="utf-8")
        entries.append(entry(path, expect, note))
    sibling = HERE / "patch_sibling"
    sibling.mkdir(exist_ok=True)
    (sibling / "homework.py").write_text(SIBLING_HOMEWORK, encoding="utf-8")
    (sibling / "helpers.py").write_text(SIBLING_HELPERS, encoding="utf-8")
    entries.append(entry("patch_sibling", "fail", "a folder: homework.py does `from helpers "
                         "import *`, and helpers.py rigs gradcheck on import"))
    (HERE / "_entries.json").write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
