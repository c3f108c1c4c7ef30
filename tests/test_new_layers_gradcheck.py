"""``python -m gradcheck`` covers the new layers: their KIT_CASES rows pass, every gradient
named and agreeing to 99.99999 % or better (dropout at a fixed mask)."""

import numpy as np
import pytest

from gradcheck import check_layer
from gradcheck.kit import KIT_CASES

NEW_ROWS = {"transposed 1-D": 3, "dropout (mask)": 1, "dropout2d(mask)": 1, "cross-entr soft": 1,
            "residual block": 9}
CASES = {label: (make_layer, make_input) for label, make_layer, make_input in KIT_CASES}


@pytest.mark.parametrize("label", NEW_ROWS)
def test_new_kit_rows_pass_gradcheck(label):
    make_layer, make_input = CASES[label]
    report = check_layer(make_layer(0), make_input(np.random.default_rng([0, 1])), name=label)
    assert report.passed, report
    assert len(report.results) == NEW_ROWS[label]
    assert min(row.agreement for row in report.results) > 99.99999


def test_the_residual_rows_name_the_inner_parameters():
    make_layer, make_input = CASES["residual block"]
    report = check_layer(make_layer(0), make_input(np.random.default_rng([0, 1])), trials=2)
    assert [row.gradient for row in report.results] == [
        "dLdx", "dLdbody.0.W", "dLdbody.0.b", "dLdbody.2.gamma", "dLdbody.2.beta",
        "dLdbody.3.W", "dLdbody.3.b", "dLdshortcut.0.W", "dLdshortcut.0.b"]
