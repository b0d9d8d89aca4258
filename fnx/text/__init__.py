"""fnx.text: text preprocessing for the books' language listings, in plain Python and NumPy.

* ``Tokenizer``, ``text_to_word_sequence`` (Keras semantics) and ``Vocabulary`` (ids with pad/unknown);
* ``pad_sequences`` (Keras semantics), ``sequence_mask``, and ``bucket_batches`` so that variable-length
  sequences compile once per bucket, not once per length;
* ``load_word_vectors`` for GloVe-style files the user has, and ``cosine_similarity``;
* ``load_corpus`` / ``generate_corpus``: a small generated corpus that ships with fnx.

>>> from fnx.text import Tokenizer, pad_sequences, load_corpus
>>> tok = Tokenizer(num_words=50)
>>> tok.fit_on_texts(load_corpus().splitlines())
>>> x = pad_sequences(tok.texts_to_sequences(["the old cat sees a river ."]), maxlen=8)
>>> x.shape
(1, 8)

See docs/text.md.
"""
from .tokenizer import *  # noqa: F401,F403
from .vocabulary import *  # noqa: F401,F403
from .sequences import *  # noqa: F401,F403
from .vectors import *  # noqa: F401,F403
from .corpus import *  # noqa: F401,F403
