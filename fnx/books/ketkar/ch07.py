"""Ketkar, chapter 7 (Keras 1 on Theano): dense models, optimizers, activations, an MNIST CNN and an IMDB
LSTM. All wait on fnx's Keras-style training loop (``fit``) being merged."""
from ..registry import pending

for _id, _title in [("7-1", "Dense(1) + sigmoid, rmsprop, 10 epochs on random data"),
                    ("7-2", "Dense(32) -> Dense(1), sigmoid"),
                    ("7-3", "Dense(32) relu -> Dense(10) softmax, categorical cross-entropy"),
                    ("7-4", "Dense(32) -> Dense(1), mean squared error"),
                    ("7-5", "The same model under seven Keras optimizers"),
                    ("7-6", "The same model under five activations")]:
    pending("ketkar", _id, _title, ("fit",), __name__)
pending("ketkar", "7-7", "MNIST CNN, adadelta, 1 epoch", ("fit",), __name__, data="MNIST",
        stand_in="fnx.datasets.load_digits")
pending("ketkar", "7-8", "IMDB LSTM with dropout, adam, 1 epoch", ("fit", "text", "recdrop"), __name__,
        data="IMDB")
