"""IDX files (the MNIST / Fashion-MNIST format), read without torchvision.

Layout (all integers big-endian):

    magic   uint32  0x0000 TT NN   TT = element type (0x08 = uint8), NN = number of dims
    dims    NN × uint32            e.g. 60000, 28, 28 for images; 60000 for labels
    data    prod(dims) elements    row-major

Images are ``0x00000803`` (N, 28, 28) and labels ``0x00000801`` (N,). Files may be gzipped
(``.gz``). Every mismatch (magic, element type, truncated or over-long data) is a
``DataValidationError`` naming the file.
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np

from seqlab.data.files import check_file, require_package
from seqlab.errors import DataValidationError

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_PACKAGE = "dataset-fashion-mnist"
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
_UINT8 = 0x08


def read_idx(path: str | os.PathLike, ndim: int) -> np.ndarray:
    """The uint8 array stored in IDX file ``path``, which must have ``ndim`` dimensions."""
    p = check_file(path, "IDX file")
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:  # bad gzip header, truncated stream
        raise DataValidationError(
            f"{p}: cannot be read as {'gzip' if opener is gzip.open else 'a file'} ({e}). "
            f"Fix: reinstall the data (`apt-get install --reinstall -y {FASHION_MNIST_PACKAGE}`)."
        ) from None
    if len(raw) < 4:
        raise DataValidationError(f"{p}: too short for an IDX header ({len(raw)} bytes).")
    zero, dtype, nd = struct.unpack(">HBB", raw[:4])
    expected = 0x0800 + ndim
    if zero != 0 or dtype != _UINT8 or nd != ndim:
        raise DataValidationError(
            f"{p}: bad IDX magic 0x{int.from_bytes(raw[:4], 'big'):08x}; expected "
            f"0x{expected:08x} (uint8, {ndim} dimension{'s' if ndim > 1 else ''}). "
            f"Fix: name the {'images' if ndim == 3 else 'labels'} file of the pair."
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataValidationError(f"{p}: truncated IDX header ({len(raw)} of {header} bytes).")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    size = int(np.prod(dims))
    if len(raw) - header != size:
        raise DataValidationError(
            f"{p}: IDX header says {' × '.join(map(str, dims))} = {size:,} values but the file "
            f"holds {len(raw) - header:,}. Fix: the file is truncated or corrupt; reinstall it."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def read_image_set(images: str | os.PathLike, labels: str | os.PathLike) -> tuple:
    """``(images (N, H, W) uint8, labels (N,) int64)`` from a pair of IDX files."""
    x = read_idx(images, 3)
    y = read_idx(labels, 1).astype(np.int64)
    if len(x) != len(y):
        raise DataValidationError(
            f"{images} holds {len(x):,} images but {labels} holds {len(y):,} labels. "
            "Fix: name matching files (train with train, t10k with t10k)."
        )
    return x, y


def fashion_mnist(split: str, folder: str | os.PathLike | None = None) -> tuple:
    """Fashion-MNIST ``split`` ("train": 60,000 or "t10k": 10,000) as ``(images, labels)``,
    from ``folder`` (default: the Debian package's folder)."""
    root = Path(folder) if folder is not None else FASHION_MNIST_DIR
    images = root / f"{split}-images-idx3-ubyte.gz"
    labels = root / f"{split}-labels-idx1-ubyte.gz"
    if folder is None:
        require_package(FASHION_MNIST_PACKAGE, [images, labels], "Fashion-MNIST")
    x, y = read_image_set(images, labels)
    if y.size and y.max() >= len(CLASS_NAMES):
        raise DataValidationError(
            f"{labels}: label {int(y.max())} out of range 0..{len(CLASS_NAMES) - 1}."
        )
    return x, y
