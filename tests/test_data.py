"""The readers in seqlab.data: tokeniser, vocabulary, corpora, IDX, CSV tables, sequences."""

from __future__ import annotations

import gzip
import shutil
import struct
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from seqlab.data import corpus, files, idx, sequences, table
from seqlab.errors import DataValidationError

DATA = Path(__file__).parent / "data"
HAS_KJV = all(Path(p).exists() for p in corpus.KJV_FILES) and shutil.which("bible") is not None
HAS_FASHION = (idx.FASHION_MNIST_DIR / "t10k-labels-idx1-ubyte.gz").exists()


def write_idx(path: Path, array: np.ndarray, magic: int | None = None) -> Path:
    """An IDX file written by hand: magic 0x0000 08 NN, big-endian dims, uint8 data."""
    magic = 0x0800 + array.ndim if magic is None else magic
    head = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(head + array.astype(np.uint8).tobytes())
    return path


# -- tokens and vocabulary -----------------------------------------------------------------


def test_tokenize_keeps_punctuation_and_inner_apostrophes():
    assert corpus.tokenize("The Lord's house, isn't it?") == [
        "the", "lord's", "house", ",", "isn't", "it", "?",
    ]  # fmt: skip
    assert corpus.tokenize("Ja, Straße!", lowercase=False) == ["Ja", ",", "Straße", "!"]


def test_tokenize_items_ends_every_item_with_eos():
    assert corpus.tokenize_items(["a b", "c."]) == ["a", "b", "<eos>", "c", ".", "<eos>"]


def test_vocab_orders_by_count_then_alphabet_and_maps_rare_words_to_unk():
    v = corpus.Vocab.build(["b", "a", "c", "b", "a", "b", "d"], min_count=2)
    assert v.itos == ("<unk>", "<eos>", "b", "a")
    assert v.ids(["a", "c", "zzz", "<eos>"]) == [3, 0, 0, 1]
    assert v.tokens([2, 3]) == ["b", "a"]


def test_split_items_keeps_token_shares_and_one_item_for_valid_and_test():
    assert corpus.split_items([10] * 20) == (18, 19)
    assert corpus.split_items([1000, 1, 1]) == (1, 2)  # one huge item: still three parts


# -- fortune files -------------------------------------------------------------------------


def test_split_fortunes_separates_entries_on_percent_lines():
    text = "First line\n  wrapped\n%\nSecond\n%\n%\nThird\n"
    assert corpus.split_fortunes(text) == ["First line wrapped", "Second", "Third"]


def test_fortune_files_skip_index_files_and_ascii_art(tmp_path):
    for name in ("zen", "zen.dat", "zen.u8", "ascii-art", "asciiart", "art"):
        (tmp_path / name).write_text("x\n%\n")
    (tmp_path / "de").mkdir()
    assert [p.name for p in corpus.fortune_files(tmp_path)] == ["art", "zen"]


# -- files ---------------------------------------------------------------------------------


def test_read_text_drops_a_utf8_byte_order_mark(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbfhello\n")
    assert files.read_text(p) == "hello\n"


def test_read_text_names_the_offset_and_line_of_a_non_utf8_byte(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(DataValidationError, match=r"offset 6 \(line 2\).*latin-1"):
        files.read_text(p)


def test_cache_dir_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.delenv("SEQLAB_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert files.cache_dir() == tmp_path / "seqlab"


# -- IDX -----------------------------------------------------------------------------------


def test_read_idx_returns_what_was_written(tmp_path):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4).astype(np.uint8)
    got = idx.read_idx(write_idx(tmp_path / "i.gz", images), 3)
    np.testing.assert_array_equal(got, images)
    assert got.dtype == np.uint8


def test_read_idx_rejects_a_labels_file_where_images_are_expected(tmp_path):
    p = write_idx(tmp_path / "labels.gz", np.zeros(5, np.uint8))
    with pytest.raises(DataValidationError, match="bad IDX magic 0x00000801; expected 0x00000803"):
        idx.read_idx(p, 3)


def test_read_idx_rejects_a_truncated_file(tmp_path):
    p = tmp_path / "short.gz"
    with gzip.open(p, "wb") as f:
        f.write(struct.pack(">IIII", 0x0803, 10, 2, 2) + bytes(7))
    with pytest.raises(DataValidationError, match="40 values but the file holds 7"):
        idx.read_idx(p, 3)


@pytest.mark.skipif(not HAS_FASHION, reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_test_set_has_10000_balanced_28x28_images():
    x, y = idx.fashion_mnist("t10k")
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [1000] * 10


# -- corpora -------------------------------------------------------------------------------


@pytest.mark.skipif(not HAS_KJV, reason="bible-kjv is not installed")
def test_kjv_is_extracted_without_references_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQLAB_CACHE", str(tmp_path))
    verses = corpus.kjv_verses()
    assert len(verses) == 31102
    assert verses[0] == "In the beginning God created the heaven and the earth."
    assert verses[-1] == "The grace of our Lord Jesus Christ be with you all. Amen."
    assert (tmp_path / "kjv.txt").is_file()

    def no_subprocess(*args, **kwargs):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(corpus.subprocess, "run", no_subprocess)
    assert corpus.kjv_verses() == verses


def test_load_corpus_reads_a_folder_with_given_splits():
    c = corpus.load_corpus(data=DATA / "corpus_split")
    assert c.given_splits is not None
    assert [len(c.given_splits[s]) for s in ("train", "valid", "test")] == [5, 2, 2]


def test_load_corpus_rejects_a_folder_with_only_some_split_files(tmp_path):
    (tmp_path / "train.txt").write_text("a b c\n")
    with pytest.raises(DataValidationError, match="but not test.txt, valid.txt"):
        corpus.load_corpus(data=tmp_path)


# -- CSV tables ----------------------------------------------------------------------------


def test_read_csv_sniffs_semicolons_and_keeps_file_line_numbers(tmp_path):
    p = tmp_path / "semi.csv"
    p.write_text("a;b\n1;x\n\n2;y\n")
    t = table.read_csv(p)
    assert t.header == ("a", "b")
    assert t.lines == (2, 4)  # the blank line 3 is skipped, line numbers are the file's
    np.testing.assert_array_equal(table.numeric_values(t, "a"), [1.0, 2.0])
    assert table.numeric_values(t, "b") is None
    assert table.first_non_numeric(t, "b") == (2, "x")


def test_read_csv_rejects_a_row_with_the_wrong_number_of_fields(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("a,b\n1,2\n3\n")
    with pytest.raises(DataValidationError, match="line 3: 1 field"):
        table.read_csv(p)


def test_missing_cells_become_nan_and_infinities_are_kept(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("v\n1\n\nNA\nnan\n-inf\n")
    v = table.numeric_values(table.read_csv(p), "v")
    assert v[0] == 1.0 and np.isnan(v[1]) and np.isnan(v[2]) and v[3] == -np.inf


def test_parse_time_orders_iso_dates_and_plain_numbers():
    days = [table.parse_time(s) for s in ("2024-01-31", "2024-02-01", "2024-02-01T12:00")]
    assert days[0] < days[1] < days[2]
    assert days[2] - days[1] == 12 * 3600
    assert table.parse_time("1999") == 1999.0
    assert table.parse_time("monday") is None


def test_time_values_parse_cell_by_cell_where_numpy_cannot(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("when,bad\n31.01.2024,2024/01/31\nNA,monday\n2024/02/01,\n")
    t = table.time_values(table.read_csv(p), "when")
    day = datetime(2024, 1, 31, tzinfo=UTC).timestamp()
    np.testing.assert_array_equal(t, [day, np.nan, day + 86400])
    assert table.time_values(table.read_csv(p), "bad") is None  # one cell is no time


def test_first_set_counts_the_cells_and_finds_the_first_in_file_order():
    mask = np.zeros((4, 3), dtype=bool)
    mask[2, 0] = mask[1, 2] = mask[3, 1] = True
    assert table.first_set(mask) == (3, 1, 2)
    assert table.first_set(np.zeros((4, 3), dtype=bool)) is None


def test_find_time_column_prefers_a_time_name_then_a_date_looking_column(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("when,year,v\n2024-01-01,2001,1\n2024-01-02,2002,2\n")
    assert table.find_time_column(table.read_csv(p)) == "year"
    p.write_text("when,v\n2024-01-01,1\n2024-01-02,2\n")
    assert table.find_time_column(table.read_csv(p)) == "when"


# -- labelled sequences --------------------------------------------------------------------


def test_csv_and_npz_sequences_hold_the_same_data(tmp_path):
    from_csv = sequences.read_sequences(DATA / "sequences.csv")
    assert from_csv.features == ("a", "b")
    assert from_csv.notes == ["non-numeric column(s) ignored: comment"]
    lengths = [len(x) for x in from_csv.x]
    T = max(lengths)
    x = np.zeros((len(lengths), T, 2))
    for i, xi in enumerate(from_csv.x):
        x[i, : len(xi)] = xi
    p = tmp_path / "seq.npz"
    np.savez(p, x=x, y=np.array(from_csv.labels), lengths=np.array(lengths))
    from_npz = sequences.read_sequences(p)
    assert from_npz.labels == from_csv.labels
    for a, b in zip(from_csv.x, from_npz.x, strict=True):
        np.testing.assert_array_equal(a, b)


def test_csv_sequences_are_sorted_by_their_order_column(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("id,step,label,v\nA,2,x,30\nA,0,x,10\nB,0,y,5\nA,1,x,20\n")
    s = sequences.read_sequences(p)
    assert s.ids == ["A", "B"]
    np.testing.assert_array_equal(s.x[0][:, 0], [10, 20, 30])


def test_csv_sequence_with_two_labels_is_rejected(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("id,label,v\nA,x,1\nA,y,2\n")
    with pytest.raises(DataValidationError, match="sequence 'A' has more than one label.*line 3"):
        sequences.read_sequences(p)
