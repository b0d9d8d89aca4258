"""nn.affine_grid / bilinear_sample / spatial_transformer: identity and one-pixel shifts exactly, a NumPy loop
(zero padding) and SciPy's map_coordinates (border padding) on random affine maps, finite differences for the
gradients in the images and in theta."""
import numpy as np
import pytest
from scipy import ndimage

import fnx.nn as nn
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from fnx.test_util import check_grads

RNG = np.random.default_rng(0)
IMAGES = RNG.normal(size=(2, 5, 7, 3))
IDENTITY = np.tile(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (2, 1, 1))
THETA = IDENTITY + 0.3 * RNG.normal(size=(2, 2, 3))


def numpy_sample(images, theta, out_h, out_w):
    """Bilinear sampling with zeros outside, one output pixel at a time."""
    batch, h, w, c = images.shape
    out = np.zeros((batch, out_h, out_w, c))
    for b in range(batch):
        for i, yn in enumerate(np.linspace(-1, 1, out_h)):
            for j, xn in enumerate(np.linspace(-1, 1, out_w)):
                xs, ys = theta[b] @ [xn, yn, 1.0]
                x, y = (xs + 1) * (w - 1) / 2, (ys + 1) * (h - 1) / 2
                x0, y0 = int(np.floor(x)), int(np.floor(y))
                for xi, yi in ((x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1)):
                    if 0 <= xi < w and 0 <= yi < h:
                        out[b, i, j] += (1 - abs(x - xi)) * (1 - abs(y - yi)) * images[b, yi, xi]
    return out


@pytest.mark.parametrize("padding", ["zeros", "border"])
def test_identity_and_one_pixel_shift(padding):
    np.testing.assert_allclose(nn.spatial_transformer(IMAGES, IDENTITY, padding=padding), IMAGES, rtol=1e-12,
                               atol=1e-12)
    shift = IDENTITY.copy()
    shift[:, 0, 2] = 2 / (7 - 1)  # one column to the right in source coordinates
    out = np.asarray(nn.spatial_transformer(IMAGES, shift, padding=padding))
    np.testing.assert_allclose(out[:, :, :-1], IMAGES[:, :, 1:], rtol=1e-12, atol=1e-12)
    edge = np.zeros_like(IMAGES[:, :, -1]) if padding == "zeros" else IMAGES[:, :, -1]
    np.testing.assert_allclose(out[:, :, -1], edge, atol=1e-12)


def test_random_affine_maps_match_a_numpy_loop_and_scipy():
    out = nn.spatial_transformer(IMAGES, THETA, out_shape=(4, 6))
    np.testing.assert_allclose(out, numpy_sample(IMAGES, THETA, 4, 6), rtol=1e-12, atol=1e-12)
    grid = np.asarray(nn.affine_grid(THETA, 4, 6))
    border = np.asarray(nn.bilinear_sample(IMAGES, grid, padding="border"))
    for b in range(2):
        rows, cols = (grid[b, ..., 1] + 1) * 2, (grid[b, ..., 0] + 1) * 3
        for c in range(3):
            expected = ndimage.map_coordinates(IMAGES[b, :, :, c], [rows, cols], order=1, mode="nearest")
            np.testing.assert_allclose(border[b, ..., c], expected, rtol=1e-12, atol=1e-12)


def test_gradients_in_images_and_theta_match_finite_differences():
    weights = RNG.normal(size=(2, 4, 6, 3))
    for padding in ("zeros", "border"):
        check_grads(lambda img, th: fnp.sum(nn.spatial_transformer(img, th, (4, 6), padding) * weights),
                    (IMAGES, THETA), order=1)


def test_bad_shapes_are_named():
    with pytest.raises(FnxTypeError, match=r"affine_grid: theta must have shape \(batch, 2, 3\)"):
        nn.affine_grid(np.zeros((2, 3)), 4, 4)
    with pytest.raises(FnxTypeError, match="bilinear_sample: needs images"):
        nn.bilinear_sample(IMAGES[0], np.zeros((1, 2, 2, 2)))
    with pytest.raises(FnxTypeError, match="padding must be one of"):
        nn.bilinear_sample(IMAGES, np.zeros((2, 2, 2, 2)), padding="reflect")
