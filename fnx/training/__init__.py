"""fnx.training: Keras's ``fit``/``evaluate``/``predict`` loop and its callbacks, as pure functions.

>>> import numpy as np, fnx.nn as nn, fnx.optimizers as optim, fnx.random as fr
>>> from fnx.training import fit, EarlyStopping
>>> x = np.random.default_rng(0).normal(size=(100, 3)); y = x @ np.array([[1.0], [-2.0], [0.5]])
>>> result = fit(nn.dense, nn.dense.init(fr.key(0), 3, 1), optim.adam(0.05), x, y, loss="mse", epochs=50,
...              batch_size=20, validation_split=0.2, callbacks=[EarlyStopping(patience=5)], verbose=0)
>>> result.history["val_loss"][-1] < 0.01
True

Modules: ``loop`` (``fit``, ``evaluate``, ``predict``), ``callbacks`` (``EarlyStopping``,
``ReduceLROnPlateau``, the ``Callback`` base), ``names`` (losses and metrics by Keras name). See
docs/training.md.
"""
from .callbacks import *  # noqa: F401,F403
from .loop import *  # noqa: F401,F403
from .names import LOSSES, METRICS  # noqa: F401
