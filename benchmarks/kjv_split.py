"""Write the King James Bible next-word split of issue 8 into a folder (not the repo).

Text: ``bible -f Gen1:1-Rev22:21`` (Debian ``bible-kjv``), the "Ge1:1 " reference stripped
(``seqlab.data.corpus.kjv_verses``), lower-cased, words and punctuation marks as tokens
(``seqlab.data.corpus.tokenize``), written one verse per line with its tokens joined by
single spaces, so that ``line.split()`` (the word_language_model reference) and seqlab's
own tokeniser read the same tokens. The split is contiguous by verse, at the first verse
boundaries at or after 90 % and 95 % of the tokens (``seqlab.data.corpus.split_items``,
counting one end-of-line token per verse): ``train.txt``, ``valid.txt``, ``test.txt``.

    .venv/bin/python benchmarks/kjv_split.py [OUT_DIR]     # default /tmp/kjv-split
"""

from __future__ import annotations

import sys
from pathlib import Path

from seqlab.data.corpus import kjv_verses, split_items, tokenize

DEFAULT_OUT = Path("/tmp/kjv-split")


def write_split(out: Path = DEFAULT_OUT) -> dict[str, dict[str, int]]:
    """Write train/valid/test.txt into ``out``; return verses and tokens (with one end-of-line
    token per verse) of each split."""
    lines = [" ".join(tokenize(v, lowercase=True)) for v in kjv_verses()]
    lines = [line for line in lines if line]
    for line in lines:  # both readers must see the same tokens
        assert tokenize(line) == line.split(), line
    a, b = split_items([len(line.split()) + 1 for line in lines], (0.9, 0.05))
    parts = {"train": lines[:a], "valid": lines[a:b], "test": lines[b:]}
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, part in parts.items():
        (out / f"{name}.txt").write_text("\n".join(part) + "\n", encoding="utf-8")
        sizes[name] = {"verses": len(part), "tokens": sum(len(s.split()) + 1 for s in part)}
    return sizes


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    for split, n in write_split(target).items():
        print(f"{target / (split + '.txt')}: {n['verses']:,} verses, {n['tokens']:,} tokens")
