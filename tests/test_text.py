"""fnx.text against Keras 2's documented Tokenizer/pad_sequences behaviour (worked by hand here), a GloVe file
written by the test, and the masked recurrence on bucketed batches against the unpadded sequences."""
import gzip

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx.nn as nn
import fnx.random as fr
from fnx.datasets import DataFileError
from fnx.text import (Tokenizer, Vocabulary, WordVectors, bucket_batches, cosine_similarity, generate_corpus,
                      load_corpus, load_word_vectors, pad_sequences, sequence_mask, text_to_word_sequence)

TEXTS = ["The cat sat on the mat.", "The dog sat; the CAT ran!", "A bird."]


def test_word_index_ranks_by_count_then_first_appearance():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    # counts: the 4, cat 2, sat 2, on 1, mat 1, dog 1, ran 1, a 1, bird 1 (ties in order of first appearance)
    assert list(tok.word_index) == ["the", "cat", "sat", "on", "mat", "dog", "ran", "a", "bird"]
    assert list(tok.word_index.values()) == list(range(1, 10))
    assert tok.word_counts["the"] == 4 and tok.word_docs["the"] == 2 and tok.document_count == 3
    assert tok.texts_to_sequences(["the bird sat on a log"]) == [[1, 9, 3, 4, 8]]  # 'log' unseen: dropped


def test_num_words_and_oov_token_follow_keras():
    tok = Tokenizer(num_words=4, oov_token="<OOV>")
    tok.fit_on_texts(TEXTS)
    assert tok.word_index["<OOV>"] == 1 and tok.word_index["the"] == 2 and tok.word_index["cat"] == 3
    # indices >= num_words (sat = 4, ...) and unseen words become the OOV index 1
    assert tok.texts_to_sequences(["the cat sat on a log"]) == [[2, 3, 1, 1, 1, 1]]
    assert tok.sequences_to_texts([[2, 3, 1, 7]]) == ["the cat <OOV> <OOV>"]
    plain = Tokenizer(num_words=3)
    plain.fit_on_texts(TEXTS)
    assert plain.texts_to_sequences(["the cat sat"]) == [[1, 2]]  # index 3 (sat) is not below num_words


def test_char_level_and_token_lists_and_matrices():
    tok = Tokenizer(char_level=True)
    tok.fit_on_texts(["abca"])
    assert tok.word_index == {"a": 1, "b": 2, "c": 3}
    assert tok.texts_to_sequences(["cab"]) == [[3, 1, 2]]
    words = Tokenizer()
    words.fit_on_texts([["x", "y", "x"], ["y", "z"]])
    seqs = words.texts_to_sequences(TEXTS[:1] + [["x", "x", "z"]])
    counts = np.zeros((2, 4))
    for row, seq in zip(counts, seqs):
        for i in seq:
            row[i] += 1
    np.testing.assert_array_equal(words.texts_to_matrix(TEXTS[:1] + [["x", "x", "z"]], "count"), counts)
    np.testing.assert_array_equal(words.texts_to_matrix([["x", "x", "z"]], "binary"), [[0, 1, 0, 1]])
    np.testing.assert_allclose(words.texts_to_matrix([["x", "x", "z"]], "freq"), [[0, 2 / 3, 0, 1 / 3]])
    assert text_to_word_sequence("Hello\tworld -- again", lower=False) == ["Hello", "world", "again"]


def reference_pad(seq, maxlen, padding, truncating, value):
    seq = list(seq)
    if len(seq) > maxlen:
        seq = seq[len(seq) - maxlen:] if truncating == "pre" else seq[:maxlen]
    fill = [value] * (maxlen - len(seq))
    return fill + seq if padding == "pre" else seq + fill


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(1, 99), max_size=8), min_size=1, max_size=6), st.none() | st.integers(0, 9),
       st.sampled_from(["pre", "post"]), st.sampled_from(["pre", "post"]), st.integers(-1, 0))
def test_pad_sequences_matches_the_keras_rule(seqs, maxlen, padding, truncating, value):
    out = pad_sequences(seqs, maxlen, padding=padding, truncating=truncating, value=value)
    width = max(map(len, seqs)) if maxlen is None else maxlen
    assert out.shape == (len(seqs), width) and out.dtype == np.int32
    assert out.tolist() == [reference_pad(s, width, padding, truncating, value) for s in seqs]
    mask = sequence_mask([min(len(s), width) for s in seqs], width, padding)
    if value == 0:
        np.testing.assert_array_equal(mask, out != 0)


def test_pad_sequences_ketkar_imdb_settings_and_vector_elements():
    x = pad_sequences([list(range(1, 101)), [5, 6]], maxlen=80)  # Ketkar 2017, listing 7-8: pre/pre, value 0
    assert x[0].tolist() == list(range(21, 101)) and x[1].tolist() == [0] * 78 + [5, 6]
    vectors = pad_sequences([np.ones((2, 3)), np.ones((1, 3))], maxlen=3, dtype="float32", padding="post")
    assert vectors.shape == (2, 3, 3) and vectors[1, 1:].sum() == 0
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'"):
        pad_sequences([[1]], padding="middle")


def test_vocabulary_reserves_pad_and_unknown():
    vocab = Vocabulary.from_tokens("b a b c b a".split(), max_size=2)
    assert vocab.tokens == ["<pad>", "<unk>", "b", "a"] and len(vocab) == 4
    assert vocab.encode(["a", "z"]) == [3, 1] and vocab.decode([2, 3]) == ["b", "a"]
    assert Vocabulary.from_tokens("a a b".split(), min_count=2).tokens == ["<pad>", "<unk>", "a"]
    with pytest.raises(KeyError):
        Vocabulary(["x"], unk=None).encode(["y"])


GRU = nn.gru.init(fr.key(0), 2, 3)
def FINAL(xs, mask):
    return nn.rnn(nn.gru, GRU, xs, mask=mask)[0]


def test_bucketed_masked_batches_give_the_unpadded_final_states_with_one_compile_per_bucket():
    rng = np.random.default_rng(1)
    seqs = [rng.normal(size=(n, 2)) for n in rng.integers(1, 13, size=23)]
    seen, shapes = [], set()
    for padded, mask, ids in bucket_batches(3, seqs, np.arange(23), batch_size=4, boundaries=(4, 8, 12)):
        shapes.add(padded.shape)
        assert padded.shape[1] in (4, 8, 12) and padded.shape[0] <= 4
        final = FINAL(padded, mask)
        for row, i in enumerate(ids):
            seen.append(int(i))
            np.testing.assert_array_equal(mask[row].sum(), len(seqs[i]))
            np.testing.assert_allclose(final[row], nn.rnn(nn.gru, GRU, seqs[i])[0], rtol=1e-12, atol=1e-14)
    assert sorted(seen) == list(range(23))
    assert len({s[1] for s in shapes}) == 3
    full = list(bucket_batches(3, seqs, np.arange(23), 4, (4, 8, 12), full_batches=True))
    assert {x.shape for x, _, _ in full} == {(4, 4, 2), (4, 8, 2), (4, 12, 2)}  # one shape per bucket
    assert sum(int(m.any(1).sum()) for _, m, _ in full) == 23
    for (x, m, ids), (x0, m0, ids0) in zip(full, bucket_batches(3, seqs, np.arange(23), 4, (4, 8, 12))):
        np.testing.assert_array_equal(x[:len(x0)], x0)
        assert not x[len(x0):].any() and not m[len(x0):].any() and ids[:len(ids0)].tolist() == ids0.tolist()
    order = [ids.tolist() for _, _, ids in bucket_batches(3, seqs, np.arange(23), 4, (4, 8, 12))]
    assert order == [ids.tolist() for _, _, ids in bucket_batches(3, seqs, np.arange(23), 4, (4, 8, 12))]


def write(path, text, compress=False):
    data = text.encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_load_word_vectors_reads_glove_and_word2vec_text(tmp_path):
    rng = np.random.default_rng(2)
    table = rng.normal(size=(5, 4)).round(5)
    words = ["the", "king", "queen", "man", "woman"]
    text = "".join(f"{w} {' '.join(map(str, row))}\n" for w, row in zip(words, table))
    for path in (write(tmp_path / "glove.txt", text), write(tmp_path / "glove.txt.gz", text, compress=True),
                 write(tmp_path / "w2v.txt", f"5 4\n{text}")):
        vectors = load_word_vectors(path, dtype="float64")
        assert vectors.words == words and vectors.dim == 4
        np.testing.assert_array_equal(vectors.vectors, table)
    few = load_word_vectors(tmp_path / "glove.txt", max_words=2)
    assert few.words == ["the", "king"] and few.vectors.dtype == np.float32
    some = load_word_vectors(tmp_path / "glove.txt", vocabulary={"man", "queen"}, dtype="float64")
    assert some.words == ["queen", "man"]
    matrix = some.embedding_matrix({"man": 1, "dog": 2, "queen": 3})
    np.testing.assert_array_equal(matrix, np.vstack([np.zeros(4), table[3], np.zeros(4), table[2]]))
    u, v = table[1], table[2]
    assert cosine_similarity(u, v) == pytest.approx(u @ v / np.linalg.norm(u) / np.linalg.norm(v), rel=1e-14)


def test_load_word_vectors_errors_name_the_file_and_line(tmp_path):
    missing = tmp_path / "nope" / "glove.6B.100d.txt"
    with pytest.raises(FileNotFoundError, match="glove.6B.100d.txt.*never downloads"):
        load_word_vectors(missing)
    with pytest.raises(DataFileError, match=r"bad.txt, line 2: 2 values, but the first vector had 3"):
        load_word_vectors(write(tmp_path / "bad.txt", "a 1 2 3\nb 1 2\n"))
    with pytest.raises(DataFileError, match=r"nan.txt, line 1: the fields after the word are not numbers"):
        load_word_vectors(write(tmp_path / "nan.txt", "a 1 x 3\n"))
    with pytest.raises(DataFileError, match="longer than 64 bytes"):
        load_word_vectors(write(tmp_path / "long.txt", "a " + "1 " * 100 + "\n"), max_line_bytes=64)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(b"a 1 2\n" * 100)[:20])
    with pytest.raises(DataFileError, match="cut.gz is a truncated gzip file"):
        load_word_vectors(cut)


def test_shipped_corpus_is_the_generated_one():
    text = load_corpus()
    assert text == generate_corpus(0, 2000)
    tok = Tokenizer()
    tok.fit_on_texts(text.splitlines())
    counts = sorted(tok.word_counts.values(), reverse=True)
    assert 60 < len(counts) < 150 and counts[0] > 20 * counts[len(counts) // 2]  # a skewed, small vocabulary
    assert WordVectors(["a"], np.ones((1, 2))).embedding_matrix({}).shape == (1, 2)
