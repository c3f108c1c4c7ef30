import numpy as np
from skimage.util.shape import view_as_windows


def conv4d(x, w):
    # x: (batch, in_ch, in_w, in_h)  w: (num_filters, in_ch, fw, fh)
    N, C, H, W = x.shape
    F, _, fw, fh = w.shape
    win = view_as_windows(x, (1, C, fw, fh)).reshape(N, H - fw + 1, W - fh + 1, -1)
    out = np.tensordot(win, w.reshape(F, -1), axes=([3], [1]))
    return np.moveaxis(out, 3, 1)


class nn_convolutional_layer:

    def __init__(self, filter_width, filter_height, input_size, in_ch_size, num_filters, std=1e0):
        self.W = np.random.normal(0, std / np.sqrt(in_ch_size * filter_width * filter_height / 2),
                                  (num_filters, in_ch_size, filter_width, filter_height))
        self.b = 0.01 + np.zeros((1, num_filters, 1, 1))
        self.input_size = input_size
        self.x = None

    def update_weights(self, dW, db):
        self.W += dW
        self.b += db

    def get_weights(self):
        return self.W, self.b

    def set_weights(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
        self.x = x  # keep the input for backprop
        return conv4d(x, self.W) + self.b

    def backprop(self, dLdy):
        x = self.x
        fw, fh = self.W.shape[2:]
        padded = np.pad(dLdy, ((0, 0), (0, 0), (fw - 1, fw - 1), (fh - 1, fh - 1)), 'constant')
        dLdx = conv4d(padded, np.flip(self.W, axis=(2, 3)).swapaxes(0, 1))
        dLdW = conv4d(x.swapaxes(0, 1), dLdy.swapaxes(0, 1)).swapaxes(0, 1)
        dLdb = dLdy.sum(axis=(0, 2, 3), keepdims=True)
        return dLdx, dLdW, dLdb


class nn_maxpool_layer:
    def __init__(self, pool_size, stride):
        self.pool_size = pool_size
        self.stride = stride
        self.x = None

    def forward(self, x):
        self.x = x
        p, s = self.pool_size, self.stride
        win = view_as_windows(x, (1, 1, p, p), step=(1, 1, s, s))
        return win.max(axis=(4, 5, 6, 7))

    def backprop(self, dLdy):
        x = self.x
        p, s = self.pool_size, self.stride
        N, C, H, W = x.shape
        dLdx = np.zeros(x.shape)
        for i in range(dLdy.shape[2]):
            for j in range(dLdy.shape[3]):
                window = x[:, :, i * s:i * s + p, j * s:j * s + p].reshape(N, C, -1)
                k = window.argmax(axis=2)
                c, r = np.unravel_index(k, (p, p))
                n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing='ij')
                dLdx[n_idx, c_idx, i * s + r, j * s + c] += dLdy[:, :, i, j]
        return dLdx


if __name__ == '__main__':
    batch_size, input_size, in_ch_size, num_filters = 8, 32, 3, 8
    dt = 1e-3
    cnv = nn_convolutional_layer(3, 3, input_size, in_ch_size, num_filters)
    mpl = nn_maxpool_layer(pool_size=2, stride=2)
    x = np.random.normal(0, 1, (batch_size, in_ch_size, input_size, input_size))
    delta = np.random.normal(0, 1, x.shape) * dt
    y1 = cnv.forward(x)
    dLdx, dLdW, dLdb = cnv.backprop(np.ones(y1.shape))
    y2 = cnv.forward(x + delta)
    print('conv layer dLdx', 100 - abs(np.sum(delta * dLdx) - np.sum(y2 - y1)) / abs(np.sum(y2 - y1)) * 100, '%')
    y1 = mpl.forward(x)
    dLdx = mpl.backprop(np.ones(y1.shape))
    y2 = mpl.forward(x + delta)
    print('maxpool layer dLdx', 100 - abs(np.sum(delta * dLdx) - np.sum(y2 - y1)) / abs(np.sum(y2 - y1)) * 100, '%')
