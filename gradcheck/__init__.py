"""gradcheck: check any layer's forward and backprop, and grade homework in an isolated worker.

    check_layer(layer, x, reference=None)   finite differences (and a reference) in this process
    python -m gradcheck [TARGET]            the course's gradient accuracy script and the grader
"""

__version__ = "0.1.0"

from .numeric import (GradientResult, LayerReport, check_layer, check_tie_rule, relative_error,
                      relative_errors)

__all__ = ["__version__", "GradientResult", "LayerReport", "check_layer", "check_tie_rule",
           "relative_error", "relative_errors"]
