"""mnist_demo: download MNIST, parse IDX strictly, plot labelled digits (see issue: mnist_demo)."""
