import numpy as np


class nn_convolutional_layer:
    def forward(self, x:
        return np.zeros(x.shape
