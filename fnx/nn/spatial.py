"""The spatial transformer's sampler (Jaderberg et al. 2015): an affine sampling grid and bilinear sampling.

A localisation network predicts ``theta`` (batch, 2, 3) per image; ``affine_grid`` maps every output pixel's
normalised coordinates ``(x, y, 1)`` (x, y in [-1, 1], corners at the centres of the corner pixels, as in the
paper and Lasagne's ``TransformerLayer``) to source coordinates ``theta @ (x, y, 1)``; ``bilinear_sample``
reads the images there, mixing the four nearest pixels. Both are differentiable: in the images (a
scatter-add of the weights) and in the grid, hence in ``theta`` (Bourez 2017, chapter 6).

>>> import numpy as np
>>> images = np.arange(12.0).reshape(1, 3, 4, 1)
>>> identity = np.array([[[1.0, 0, 0], [0, 1.0, 0]]])
>>> bool(np.allclose(spatial_transformer(images, identity), images))
True
"""
from __future__ import annotations

from .. import numpy as fnp
from ..core.errors import FnxTypeError

_PADDINGS = ("zeros", "border")


def affine_grid(theta, height: int, width: int):
    """Source coordinates (batch, height, width, 2), as normalised ``(x, y)``, of an output of
    ``height`` x ``width`` pixels under the affine maps ``theta`` (batch, 2, 3).

    >>> import numpy as np
    >>> affine_grid(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]), 2, 3)[0, :, :, 0]     # x of the identity
    Array([[-1.,  0.,  1.],
           [-1.,  0.,  1.]], dtype=float64)
    """
    theta = fnp.asarray(theta)
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3):
        raise FnxTypeError(f"affine_grid: theta must have shape (batch, 2, 3), got {tuple(theta.shape)}")
    ys, xs = fnp.meshgrid(fnp.linspace(-1.0, 1.0, height, dtype=theta.dtype),
                          fnp.linspace(-1.0, 1.0, width, dtype=theta.dtype), indexing="ij")
    points = fnp.stack([xs, ys, fnp.ones_like(xs)], axis=-1)  # (height, width, 3)
    return fnp.einsum("hwk,bjk->bhwj", points, theta)


def _corner(flat, x, y, weight, height: int, width: int, padding: str):
    """``weight * image[y, x]`` for integer-valued float coordinates, per batch; zero outside with "zeros"."""
    inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
    xi = fnp.astype(fnp.clip(x, 0, width - 1), "int64")
    yi = fnp.astype(fnp.clip(y, 0, height - 1), "int64")
    index = fnp.reshape(yi * width + xi, (flat.shape[0], -1, 1))
    values = fnp.take_along_axis(flat, index, axis=1)  # (batch, points, channels)
    if padding == "zeros":
        weight = fnp.where(inside, weight, 0.0)
    return values * fnp.reshape(weight, (flat.shape[0], -1, 1))


def bilinear_sample(images, grid, padding: str = "zeros"):
    """Sample ``images`` (batch, height, width, channels) at the normalised ``(x, y)`` points of ``grid``
    (batch, out_height, out_width, 2), bilinearly; returns (batch, out_height, out_width, channels).

    ``x = -1`` is the centre of the first column and ``x = 1`` of the last (``y`` likewise for rows). Outside
    the image, ``padding="zeros"`` reads zeros (PyTorch's ``grid_sample`` default), ``"border"`` the nearest
    edge pixel (Lasagne's ``TransformerLayer``, used by Bourez 2017).

    >>> import numpy as np
    >>> img = np.array([[[[0.0], [10.0]]]])                       # one row, two pixels
    >>> bilinear_sample(img, np.array([[[[0.5, 0.0]]]]))[0, 0, 0]   # 3/4 of the way to the second pixel
    Array([7.5], dtype=float64)
    """
    images, grid = fnp.asarray(images), fnp.asarray(grid)
    if padding not in _PADDINGS:
        raise FnxTypeError(f"bilinear_sample: padding must be one of {_PADDINGS}, got {padding!r}")
    if images.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != images.shape[0]:
        raise FnxTypeError(f"bilinear_sample: needs images (batch, height, width, channels) and a grid (batch, "
                           f"out_height, out_width, 2) with the same batch, got {tuple(images.shape)} and "
                           f"{tuple(grid.shape)}")
    batch, height, width, channels = images.shape
    x = (grid[..., 0] + 1.0) * ((width - 1) / 2.0)
    y = (grid[..., 1] + 1.0) * ((height - 1) / 2.0)
    if padding == "border":
        x, y = fnp.clip(x, 0.0, width - 1.0), fnp.clip(y, 0.0, height - 1.0)
    x0, y0 = fnp.floor(x), fnp.floor(y)
    dx, dy = x - x0, y - y0
    flat = fnp.reshape(images, (batch, height * width, channels))
    out = sum(_corner(flat, x0 + i, y0 + j, (dx if i else 1.0 - dx) * (dy if j else 1.0 - dy), height, width, padding)
              for i in (0, 1) for j in (0, 1))
    return fnp.reshape(out, (*grid.shape[:3], channels))


def spatial_transformer(images, theta, out_shape: tuple[int, int] | None = None, padding: str = "zeros"):
    """The spatial transformer's sampling: ``images`` (batch, height, width, channels) seen through the affine
    maps ``theta`` (batch, 2, 3), as an output of ``out_shape`` (height, width; default the input's)::

        bilinear_sample(images, affine_grid(theta, *out_shape), padding)

    ``theta`` of ``[[s, 0, tx], [0, s, ty]]`` zooms in by ``1 / s`` around ``(tx, ty)`` (normalised coordinates).
    """
    images = fnp.asarray(images)
    height, width = out_shape if out_shape is not None else images.shape[1:3]
    return bilinear_sample(images, affine_grid(theta, height, width), padding)


__all__ = ["affine_grid", "bilinear_sample", "spatial_transformer"]
