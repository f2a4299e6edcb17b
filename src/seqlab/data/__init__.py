"""Readers for real data, each validating its input (``DataValidationError``: the file, the
problem, the fix) — nothing is downloaded at run time (see DATA.md).

files      checks for a user's path, UTF-8 reading, atomic writes, Debian package checks
idx        IDX image / label files and Fashion-MNIST
corpus     KJV Bible, fortune files, user text; tokeniser and vocabulary
table      a user's CSV as a validated table; numeric and time columns
sequences  labelled sequences from a CSV (one row per step) or an .npz
options    typed task options from Python values or CLI strings
"""

from seqlab.data.corpus import EOS, UNK, Corpus, Vocab, load_corpus, tokenize
from seqlab.data.files import cache_dir, check_file, read_text, require_package
from seqlab.data.idx import fashion_mnist, read_idx
from seqlab.data.sequences import LabelledSequences, read_sequences
from seqlab.data.table import Table, read_csv

__all__ = [
    "EOS",
    "UNK",
    "Corpus",
    "LabelledSequences",
    "Table",
    "Vocab",
    "cache_dir",
    "check_file",
    "fashion_mnist",
    "load_corpus",
    "read_csv",
    "read_idx",
    "read_sequences",
    "read_text",
    "require_package",
    "tokenize",
]
