"""The docstring examples of the training, text, checkpoint, gradient-check, sampler and loader modules run."""
import doctest
import importlib

import pytest

MODULES = ["fnx.training", "fnx.training.loop", "fnx.training.callbacks", "fnx.training.names", "fnx.training.keras1",
           "fnx.text", "fnx.text.tokenizer", "fnx.text.vocabulary", "fnx.text.sequences", "fnx.text.vectors",
           "fnx.text.corpus", "fnx.serialization", "fnx.test_util", "fnx.nn.spatial", "fnx.nn.recurrent",
           "fnx.datasets.imdb", "fnx.optimizers.optimizers", "fnx.optimizers.scaling"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 1
