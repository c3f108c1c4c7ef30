"""nnlayers.__version__ is the version pyproject.toml declares."""

import re
from pathlib import Path

import nnlayers


def test_version_matches_pyproject():
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    declared = re.search(r'^version\s*=\s*"([^"]+)"', project, re.M).group(1)
    assert nnlayers.__version__ == declared
