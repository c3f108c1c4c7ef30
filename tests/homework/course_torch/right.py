import torch

# the torch edition of the assignment: only forward is written, autograd does backprop


class nn_convolutional_layer:

    def __init__(self, filter_width, filter_height, input_size, in_ch_size, num_filters, std=1e0):
        scale = std / (in_ch_size * filter_width * filter_height / 2) ** 0.5
        self.W = torch.randn(num_filters, in_ch_size, filter_width, filter_height,
                             dtype=torch.float64) * scale
        self.b = torch.full((1, num_filters, 1, 1), 0.01, dtype=torch.float64)
        self.W.requires_grad_(True)
        self.b.requires_grad_(True)
        self.input_size = input_size

    def get_weights(self):
        return self.W, self.b

    def forward(self, x):
        F, C, fw, fh = self.W.shape
        # (N, C, H, W) -> windows (N, C, out_w, out_h, fw, fh)
        win = x.unfold(2, fw, 1).unfold(3, fh, 1)
        out = torch.einsum('ncijab,fcab->nfij', win, self.W)
        return out + self.b


class nn_maxpool_layer:
    def __init__(self, pool_size, stride):
        self.pool_size = pool_size
        self.stride = stride

    def forward(self, x):
        p, s = self.pool_size, self.stride
        win = x.unfold(2, p, s).unfold(3, p, s)          # (N, C, out_w, out_h, p, p)
        win = win.reshape(win.shape[:4] + (p * p,))
        return win.max(dim=4).values


x = torch.randn(8, 3, 32, 32, dtype=torch.float64, requires_grad=True)
cnv = nn_convolutional_layer(3, 3, 32, 3, 8)
mpl = nn_maxpool_layer(pool_size=2, stride=2)
out = mpl.forward(cnv.forward(x))
out.sum().backward()
print('out', out.shape, 'grad', x.grad.shape)
