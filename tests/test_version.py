"""nnlayers.__version__ is the version pyproject.toml declares."""

import re
from pathlib import Path

import pytest

import nnlayers

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


@pytest.mark.skipif(not PYPROJECT.is_file(), reason="the tests run away from the source tree")
def test_version_matches_pyproject():
    text = PYPROJECT.read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    declared = re.search(r'^version\s*=\s*"([^"]+)"', project, re.M).group(1)
    assert nnlayers.__version__ == declared
