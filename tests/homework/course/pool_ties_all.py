import numpy as np
from skimage.util.shape import view_as_windows

##########
#   convolutional layer
#   you can re-use your previous implementation, or modify it if necessary
##########


class nn_convolutional_layer:

    def __init__(self, filter_width, filter_height, input_size, in_ch_size, num_filters, std=1e0):
        # initialization of weights
        self.W = np.random.normal(0, std / np.sqrt(in_ch_size * filter_width * filter_height / 2),
                                  (num_filters, in_ch_size, filter_width, filter_height))
        self.b = 0.01 + np.zeros((1, num_filters, 1, 1))
        self.input_size = input_size

    def update_weights(self, dW, db):
        self.W += dW
        self.b += db

    def get_weights(self):
        return self.W, self.b

    def set_weights(self, W, b):
        self.W = W
        self.b = b

    # correlate every map of x with every filter of w (no padding, stride 1)
    # x: (batch, in_ch, in_w, in_h), w: (num_filt, in_ch, fw, fh)
    def conv(self, x, w):
        batch, in_ch, in_w, in_h = x.shape
        num_filt, _, fw, fh = w.shape
        out_w = in_w - fw + 1
        out_h = in_h - fh + 1
        y = view_as_windows(x, (1, in_ch, fw, fh))
        y = y.reshape((batch, out_w, out_h, in_ch * fw * fh))
        out = y.dot(w.reshape((num_filt, -1)).T)  # (batch, out_w, out_h, num_filt)
        return out.transpose(0, 3, 1, 2)

    #######
    # Q1. Complete this method
    #######
    def forward(self, x):
        out = self.conv(x, self.W) + self.b
        return out

    #######
    # Q2. Complete this method
    #######
    def backprop(self, x, dLdy):
        fw, fh = self.W.shape[2], self.W.shape[3]
        # dLdx: zero-pad dLdy by (filter size - 1), flip the filter, swap in/out channels
        dLdy_pad = np.pad(dLdy, ((0, 0), (0, 0), (fw - 1, fw - 1), (fh - 1, fh - 1)))
        W_flip = self.W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        dLdx = self.conv(dLdy_pad, W_flip)
        # dLdW: correlate x with dLdy, the batch plays the role of the channels
        xs = x.transpose(1, 0, 2, 3)
        ds = dLdy.transpose(1, 0, 2, 3)
        dLdW = self.conv(xs, ds).transpose(1, 0, 2, 3)
        dLdb = np.sum(dLdy, axis=(0, 2, 3)).reshape(self.b.shape)
        return dLdx, dLdW, dLdb

##########
#   max pooling layer
#   you can re-use your previous implementation, or modify it if necessary
##########


class nn_maxpool_layer:
    def __init__(self, pool_size, stride):
        self.stride = stride
        self.pool_size = pool_size

    def windows(self, x):
        p, s = self.pool_size, self.stride
        y = view_as_windows(x, (1, 1, p, p), step=(1, 1, s, s))
        return y.reshape(y.shape[:4] + (p * p,))  # (batch, ch, out_w, out_h, p*p)

    #######
    # Q3. Complete this method
    #######
    def forward(self, x):
        out = np.max(self.windows(x), axis=4)
        return out

    #######
    # Q4. Complete this method
    #######
    def backprop(self, x, dLdy):
        p, s = self.pool_size, self.stride
        win = self.windows(x)
        mask = win == np.max(win, axis=4, keepdims=True)  # where the maximum is
        oh, ow = dLdy.shape[2], dLdy.shape[3]
        dLdx = np.zeros(x.shape)
        for k in range(p * p):
            a, b = k // p, k % p
            dLdx[:, :, a:a + s * oh:s, b:b + s * ow:s] += mask[..., k] * dLdy
        return dLdx


##########
#   Q5. test your implementation
##########

# set default type to float64
np.set_printoptions(precision=10)

# input sizes
batch_size = 8
input_size = 32
filter_width = 3
filter_height = filter_width
in_ch_size = 3
num_filters = 8

std = 1e0
dt = 1e-3

num_test = 20

err_dLdx = 0
err_dLdW = 0
err_dLdb = 0
err_dLdx_pool = 0

cnv = nn_convolutional_layer(filter_width, filter_height, input_size, in_ch_size, num_filters, std)
mpl = nn_maxpool_layer(pool_size=2, stride=2)

print('conv test')
for i in range(num_test):
    x = np.random.normal(0, 1, (batch_size, in_ch_size, input_size, input_size))
    delta = np.random.normal(0, 1, x.shape) * dt
    y1 = cnv.forward(x)
    y2 = cnv.forward(x + delta)
    bp, _, _ = cnv.backprop(x, np.ones(y1.shape))
    exact_dx = np.sum(y2 - y1) / dt
    apprx_dx = np.sum(delta * bp) / dt
    err_dLdx += abs((apprx_dx - exact_dx) / exact_dx) / num_test * 100

    W, b = cnv.get_weights()
    dW = np.random.normal(0, 1, W.shape) * dt
    db = np.zeros(b.shape)
    z1 = cnv.forward(x)
    _, bpw, _ = cnv.backprop(x, np.ones(z1.shape))
    cnv.update_weights(dW, db)
    z2 = cnv.forward(x)
    exact_dW = np.sum(z2 - z1) / dt
    apprx_dW = np.sum(dW * bpw) / dt
    err_dLdW += abs((apprx_dW - exact_dW) / exact_dW) / num_test * 100

    W, b = cnv.get_weights()
    dW = np.zeros(W.shape)
    db = np.random.normal(0, 1, b.shape) * dt
    z1 = cnv.forward(x)
    _, _, bpb = cnv.backprop(x, np.ones(z1.shape))
    cnv.update_weights(dW, db)
    z2 = cnv.forward(x)
    exact_db = np.sum(z2 - z1) / dt
    apprx_db = np.sum(db * bpb) / dt
    err_dLdb += abs((apprx_db - exact_db) / exact_db) / num_test * 100

print('maxpool test')
for i in range(num_test):
    x = np.arange(batch_size * in_ch_size * input_size * input_size).reshape(
        (batch_size, in_ch_size, input_size, input_size)) + 1
    delta = np.random.normal(0, 1, x.shape) * dt
    y1 = mpl.forward(x)
    y2 = mpl.forward(x + delta)
    bpm = mpl.backprop(x, np.ones(y1.shape))
    exact_dx_pool = np.sum(y2 - y1) / dt
    apprx_dx_pool = np.sum(delta * bpm) / dt
    err_dLdx_pool += abs((apprx_dx_pool - exact_dx_pool) / exact_dx_pool) / num_test * 100

# reporting accuracy results.
print('accuracy results')
print('conv layer dLdx', 100 - err_dLdx, '%')
print('conv layer dLdW', 100 - err_dLdW, '%')
print('conv layer dLdb', 100 - err_dLdb, '%')
print('maxpool layer dLdx', 100 - err_dLdx_pool, '%')
