"""Importing the kit stays quiet where scikit-image's import warns (tqdm without ipywidgets)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE_SKIMAGE_UTIL = '''
import warnings
warnings.warn("IProgress not found. Please update jupyter and ipywidgets.", UserWarning)

def view_as_windows(*args, **kwargs):
    raise AssertionError("only imported in this test")
'''


def test_the_iprogress_warning_of_skimages_import_is_silenced(tmp_path):
    package = tmp_path / "skimage"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "util.py").write_text(FAKE_SKIMAGE_UTIL)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    code = "import nnlayers.conv4d; import skimage.util; print('ok')"
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
