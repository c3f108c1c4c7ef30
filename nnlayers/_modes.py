"""Training and evaluation modes, for the layers that behave differently in each (batch norm,
dropout): ``train()`` and ``eval()`` set ``self.training`` and return the layer, as torch's do."""

from typing import TypeVar

__all__ = ["TrainingModes"]

_Self = TypeVar("_Self", bound="TrainingModes")


class TrainingModes:
    """Mixin: ``self.training`` is True after ``train()`` (the default), False after ``eval()``."""

    training = True

    def train(self: _Self) -> _Self:
        """Training mode (what training mode means is in the layer's docstring); returns the layer."""
        self.training = True
        return self

    def eval(self: _Self) -> _Self:
        """Evaluation mode; returns the layer."""
        self.training = False
        return self
