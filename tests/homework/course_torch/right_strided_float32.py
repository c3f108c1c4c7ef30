import math
import torch

# torch edition: torch tensors only, float32 like torch's default, no numpy, no std argument


def view_as_windows(arr_in, window_shape, step=1):
    # a torch version of skimage's view_as_windows, for 4-d tensors and 4-d windows
    if isinstance(step, int):
        step = (step,) * arr_in.dim()
    shape = torch.tensor(arr_in.shape)
    window = torch.tensor(window_shape)
    count = torch.div(shape - window, torch.tensor(step), rounding_mode='floor') + 1
    strides = [s * k for s, k in zip(arr_in.stride(), step)]
    return torch.as_strided(arr_in, size=tuple(count.tolist()) + tuple(window_shape),
                            stride=tuple(strides) + tuple(arr_in.stride()))


class nn_convolutional_layer:

    def __init__(self, f_height, f_width, input_size, in_ch_size, out_ch_size):
        # He init
        self.W = torch.normal(0, 1 / math.sqrt(in_ch_size * f_height * f_width / 2),
                              size=(out_ch_size, in_ch_size, f_height, f_width))
        self.b = 0.01 + torch.zeros(size=(1, out_ch_size, 1, 1))
        self.W.requires_grad = True
        self.b.requires_grad = True
        self.input_size = input_size

    def update_weights(self, dW, db):
        with torch.no_grad():
            self.W += dW
            self.b += db

    def get_weights(self):
        return self.W.clone().detach(), self.b.clone().detach()

    def set_weights(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
        N, C, H, W = x.shape
        F, _, fh, fw = self.W.shape
        win = view_as_windows(x, (1, C, fh, fw))          # (N, 1, oh, ow, 1, C, fh, fw)
        win = win.reshape(N, H - fh + 1, W - fw + 1, C * fh * fw)
        out = win @ self.W.reshape(F, -1).T              # (N, oh, ow, F)
        return out.permute(0, 3, 1, 2) + self.b


class nn_max_pooling_layer:
    def __init__(self, stride, pool_size):
        self.stride = stride
        self.pool_size = pool_size

    def forward(self, x):
        p, s = self.pool_size, self.stride
        win = view_as_windows(x, (1, 1, p, p), step=(1, 1, s, s))
        win = win.reshape(win.shape[:4] + (p * p,))
        return torch.max(win, dim=4).values
