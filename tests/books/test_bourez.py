"""Bourez's listings (fnx/books/bourez): every registered unit against the book's printed values and trends."""
import numpy as np
import pytest

import fnx
from fnx.books import listings
from fnx.books.bourez.ch06 import localisation, transform
from fnx.books.bourez.ch10 import windows
from fnx.books.bourez.ch11 import MOVES, REWARDS, cartpole_step, optimal_q
from fnx.books.bourez.digits import digits_28, upsample


@pytest.mark.parametrize("id", [e.id for e in listings("bourez")])
def test_bourez(book_unit, id):
    book_unit("bourez", id)


def test_upsampled_digits_keep_their_corners_and_range():
    """bourez/digits.py: the bilinear upsampling through nn.spatial_transformer keeps the corner pixels (the
    grid's corners are pixel centres) and stays in [0, 1]; the 28x28 images have a 4-pixel empty border."""
    images = np.random.default_rng(0).random((3, 8, 8))
    big = upsample(images, 20)
    assert big.shape == (3, 20, 20)
    np.testing.assert_allclose(big[:, [0, 0, -1, -1], [0, -1, 0, -1]], images[:, [0, 0, -1, -1], [0, -1, 0, -1]],
                               rtol=1e-6)
    X_train = digits_28(None)[0]
    assert X_train.shape[1:] == (1, 28, 28) and 0.0 <= X_train.min() and X_train.max() <= 1.0
    assert not X_train[..., :4, :].any() and not X_train[..., -4:].any()


def test_q_learning_reference_is_the_bellman_fixed_point():
    """ch11.optimal_q: the values by hand (discount 0.8): 100 for 4 -> 5, 80 one door before, 64 two doors
    before; nothing from the exit."""
    q = optimal_q(MOVES, REWARDS)
    assert q[4, 5] == 100.0 and q[3, 4] == q[2, 4] == 80.0 and q[0, 3] == q[1, 2] == 64.0
    np.testing.assert_allclose([q[0, 1], q[3, 0], q[4, 3]], [51.2, 51.2, 64.0], rtol=1e-15)
    assert not q[5].any()


def test_cartpole_step_matches_the_equations_in_numpy():
    """ch11.cartpole_step against Barto, Sutton and Anderson's equations (Gym's constants) in NumPy."""
    rng = np.random.default_rng(1)
    for state in rng.uniform(-0.2, 0.2, (4, 4)):
        for action in (0, 1):
            x, x_dot, th, th_dot = state
            force = 10.0 if action else -10.0
            temp = (force + 0.05 * th_dot ** 2 * np.sin(th)) / 1.1
            th_acc = (9.8 * np.sin(th) - np.cos(th) * temp) / (0.5 * (4 / 3 - 0.1 * np.cos(th) ** 2 / 1.1))
            x_acc = temp - 0.05 * th_acc * np.cos(th) / 1.1
            expected = state + 0.02 * np.array([x_dot, x_acc, th_dot, th_acc])
            new, fell = cartpole_step(state, action)
            np.testing.assert_allclose(new, expected, rtol=1e-12)
            assert bool(fell) == (abs(expected[0]) > 2.4 or abs(expected[2]) > 12 * np.pi / 180)


def test_ptb_windows_target_the_next_word():
    """ch10.windows: the stream read in parallel rows; each target is the input's next word in its row."""
    ids = np.arange(103)                                # 4 rows of 25; (25 - 1) // 5 = 4 windows
    xs, ys = windows(ids, batch=4, steps=5)
    assert xs.shape == ys.shape == (4, 4, 5)
    np.testing.assert_array_equal(ys, xs + 1)
    np.testing.assert_array_equal(xs[:, 1].reshape(-1), np.arange(25, 45))


def test_spatial_transformer_network_starts_as_the_identity():
    """ch06: the localisation head's zero weights and identity bias make the first glimpse the canvas
    resampled by the identity map (the book's initialisation)."""
    canvases = np.random.default_rng(2).random((2, 1, 32, 32)).astype(np.float32)
    body, head = localisation(32, 32)
    theta = head.apply(head.init(fnx.random.key(0)), body.apply(body.init(fnx.random.key(1)), canvases))
    np.testing.assert_array_equal(np.asarray(theta), np.tile([1, 0, 0, 0, 1, 0], (2, 1)))
    glimpse = transform(canvases, theta, (32, 32))
    np.testing.assert_allclose(glimpse, canvases, atol=1e-5)  # float32 sampling


def test_digits_28_reads_the_users_mnist(tmp_path):
    """bourez/digits.py: with --data, the chapter-2 and chapter-6 CNNs read the user's MNIST as (N, 1, 28, 28)."""
    from test_datasets import write_mnist  # the IDX writer of the loader tests
    rng = np.random.default_rng(0)
    images, labels = write_mnist(tmp_path, "train", 6, True, rng)
    write_mnist(tmp_path, "t10k", 3, False, rng)
    X, X_test, y, _ = digits_28(str(tmp_path))
    assert X.shape == (6, 1, 28, 28) and X_test.shape == (3, 1, 28, 28) and X.dtype == np.float32
    np.testing.assert_allclose(X[2, 0], images[2] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)


def test_digits_docstring_example_runs():
    import doctest

    import fnx.books.bourez.digits as module
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 1 and result.failed == 0
