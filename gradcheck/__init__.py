"""gradcheck: finite-difference gradient checks for any layer with the forward/backprop protocol."""

from .numeric import GradientResult, LayerReport, check_layer, check_tie_rule, relative_errors

__all__ = ["GradientResult", "LayerReport", "check_layer", "check_tie_rule", "relative_errors"]
