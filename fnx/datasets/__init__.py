"""fnx.datasets: data that needs no network.

* toy problems made in code, keyed by ``fnx.random`` (``synthetic``): ``two_moons``, ``spirals``, ``circles``,
  ``donut``, ``xor``, ``xor_table``, ``blobs``, ``sine``, ``polynomial``;
* a small real image set shipped inside the package: ``load_digits()``, the 1,797 8x8 handwritten digits
  (UCI, CC BY 4.0; see ``fnx/datasets/data/README.md``);
* readers for files you already have (``loaders``): ``load_mnist`` (MNIST and Fashion-MNIST IDX, raw or
  gzip), ``load_cifar10`` (python or binary batches), ``load_csv``, ``read_idx``. They never download; a
  missing file raises ``FileNotFoundError`` saying where they looked and which file names they expect; a
  corrupted, truncated or hostile file raises ``DataFileError`` naming the loader and the file; also
  ``load_imdb`` (Keras's ``imdb.npz``), ``load_imdb_word_index``, ``load_imdb_reviews`` (the ``aclImdb``
  folder), ``load_image_folder`` (Dogs-vs-Cats and class sub-folders) and ``load_mnist_pickle``
  (``mnist.pkl.gz``); GloVe files: ``fnx.text.load_word_vectors``;
* ``batches`` (shuffled minibatches) and ``train_test_split`` (``batching``).

Everything returns NumPy arrays, which every fnx function accepts.

>>> import fnx.datasets as fds
>>> images, labels = fds.load_digits(flat=True, scale=True)
>>> X_train, X_test, y_train, y_test = fds.train_test_split(0, images, labels, test_size=0.2)
>>> xb, yb = next(fds.batches(1, X_train, y_train, batch_size=32))
>>> xb.shape, yb.shape
((32, 64), (32,))
"""
from .synthetic import *  # noqa: F401,F403
from .digits import *  # noqa: F401,F403
from .loaders import *  # noqa: F401,F403
from .batching import *  # noqa: F401,F403
from .imdb import *  # noqa: F401,F403
from .images import *  # noqa: F401,F403
