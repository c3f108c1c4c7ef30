"""Every Python block of the README runs as written, on its own: ```python blocks are run as
scripts in a fresh process and folder, blocks of ``>>>`` lines are doctested."""

import doctest
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"),
                    re.MULTILINE | re.DOTALL)


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_each_python_block_runs_as_written(index, tmp_path):
    block = BLOCKS[index]
    if block.lstrip().startswith(">>>"):
        parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(
            optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        test = parser.get_doctest(block, {}, f"README block {index}", str(README), 0)
        result = runner.run(test)
        assert result.failed == 0, f"README block {index} failed its doctest"
        return
    if re.search(r"^import torch", block, re.MULTILINE) and importlib.util.find_spec("torch") is None:
        pytest.skip("this block needs torch")
    env = dict(os.environ, MPLBACKEND="Agg", NNLAYERS_DATA=str(tmp_path / "cache"),
               NNLAYERS_MNIST_MIRRORS="http://127.0.0.1:9/")   # no network: the embedded sample
    done = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"README block {index}:\n{block}\n{done.stderr[-2000:]}"
