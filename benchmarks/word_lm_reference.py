"""The baseline of issue 8's "quality at equal time": pytorch/examples' word_language_model
with its default settings, re-implemented here (no code fetched) and timed on this CPU.

Model (defaults of that example's ``main.py``)::

    Embedding(V, 200) → Dropout(0.2) → LSTM(200, 200, 2 layers, dropout 0.2)
        → Dropout(0.2) → Linear(200, V)

Encoder and decoder weights uniform in ±0.1, decoder bias zero; the LSTM keeps torch's init.
Data: each line of ``train/valid/test.txt`` is ``line.split() + ["<eos>"]``; the token stream
is cut into 20 columns for training (10 for evaluation), ``batchify``: (n // B, B). Training
walks the rows in BPTT chunks of 35 with the hidden state carried between chunks (detached),
plain SGD ``p ← p − lr · ∇p`` with lr 20 after clipping the gradient norm to 0.25; after each
epoch the learning rate is divided by 4 unless the validation loss improved. The model with
the best validation loss is evaluated on test. Perplexity is ``exp`` of the mean per-token
cross-entropy.

One deliberate difference: the example builds its dictionary from all three files; here the
vocabulary is seqlab's (``Vocab.build`` on train with min count 1, ``<unk>`` for unseen
words), so both sides score the same token ids against the same vocabulary.

    .venv/bin/python benchmarks/word_lm_reference.py [--data /tmp/kjv-split] [--epochs 2]
        [--threads 2] [--json benchmarks/kjv-lm.json]
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import time
from pathlib import Path

import torch
from torch import nn

from seqlab.data.corpus import EOS, Vocab


def read_tokens(path: Path) -> list[str]:
    """Tokens of a split file: each line's words, then ``<eos>``."""
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        out.extend(line.split())
        out.append(EOS)
    return out


def batchify(ids: torch.Tensor, columns: int) -> torch.Tensor:
    """(n,) → (n // columns, columns): column j is the j-th contiguous piece of the stream."""
    n = ids.numel() // columns
    return ids[: n * columns].view(columns, n).t().contiguous()  # (n, columns)


class RNNModel(nn.Module):
    def __init__(
        self, ntoken: int, ninp: int = 200, nhid: int = 200, nlayers: int = 2, dropout: float = 0.2
    ) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nlayers, self.nhid = nlayers, nhid
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, x: torch.Tensor, hidden):
        emb = self.drop(self.encoder(x))  # (T, B, ninp)
        out, hidden = self.rnn(emb, hidden)  # (T, B, nhid)
        return self.decoder(self.drop(out)), hidden  # (T, B, V)

    def init_hidden(self, batch: int):
        z = torch.zeros(self.nlayers, batch, self.nhid)
        return (z, z.clone())


def evaluate(model: RNNModel, data: torch.Tensor, bptt: int) -> float:
    """Mean cross-entropy per token over ``data`` (rows × columns), state carried."""
    model.eval()
    total, count = 0.0, 0
    hidden = model.init_hidden(data.size(1))
    with torch.no_grad():
        for i in range(0, data.size(0) - 1, bptt):
            n = min(bptt, data.size(0) - 1 - i)
            x, y = data[i : i + n], data[i + 1 : i + 1 + n]
            logits, hidden = model(x, hidden)
            total += nn.functional.cross_entropy(
                logits.view(-1, logits.size(-1)), y.reshape(-1), reduction="sum"
            ).item()
            count += y.numel()
    return total / count


def train_epoch(model: RNNModel, data: torch.Tensor, bptt: int, lr: float, clip: float) -> None:
    model.train()
    hidden = model.init_hidden(data.size(1))
    for i in range(0, data.size(0) - 1, bptt):
        n = min(bptt, data.size(0) - 1 - i)
        x, y = data[i : i + n], data[i + 1 : i + 1 + n]
        hidden = tuple(h.detach() for h in hidden)
        model.zero_grad()
        logits, hidden = model(x, hidden)
        loss = nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), y.reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(p.grad, alpha=-lr)


def run(data_dir: Path, epochs: int, threads: int, seed: int = 1111) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(seed)  # the example's default seed; its init uses the global RNG
    start = time.perf_counter()
    tokens = {s: read_tokens(data_dir / f"{s}.txt") for s in ("train", "valid", "test")}
    vocab = Vocab.build(tokens["train"], min_count=1)
    ids = {s: torch.tensor(vocab.ids(t), dtype=torch.int64) for s, t in tokens.items()}
    train, valid, test = (
        batchify(ids["train"], 20),
        batchify(ids["valid"], 10),
        batchify(ids["test"], 10),
    )
    model = RNNModel(len(vocab))
    lr, best, best_state, epochs_log = 20.0, math.inf, None, []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        train_epoch(model, train, bptt=35, lr=lr, clip=0.25)
        t1 = time.perf_counter()
        val = evaluate(model, valid, bptt=35)
        epochs_log.append(
            {
                "epoch": epoch,
                "lr": lr,
                "train_seconds": t1 - t0,
                "eval_seconds": time.perf_counter() - t1,
                "valid_ppl": math.exp(val),
            }
        )
        print(
            f"epoch {epoch}: lr {lr:g}, train {t1 - t0:.1f} s, valid ppl {math.exp(val):.2f}",
            flush=True,
        )
        if val < best:
            best, best_state = val, copy.deepcopy(model.state_dict())
        else:
            lr /= 4.0
    model.load_state_dict(best_state)
    test_loss = evaluate(model, test, bptt=35)
    wall = time.perf_counter() - start
    return {
        "model": "word_language_model reference (LSTM 2x200, SGD lr 20)",
        "settings": {
            "emsize": 200,
            "nhid": 200,
            "nlayers": 2,
            "dropout": 0.2,
            "lr": 20.0,
            "clip": 0.25,
            "bptt": 35,
            "batch_size": 20,
            "eval_batch_size": 10,
            "epochs": epochs,
            "seed": seed,
            "threads": threads,
        },
        "wall_seconds": wall,
        "valid_ppl": math.exp(best),
        "test_ppl": math.exp(test_loss),
        "vocab_size": len(vocab),
        "tokens": {s: len(t) for s, t in tokens.items()},
        "epochs": epochs_log,
        "torch": torch.__version__,
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "loadavg_after": os.getloadavg(),
        },
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("/tmp/kjv-split"))
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", type=Path, default=None, help="write the result here")
    args = p.parse_args()
    result = run(args.data, args.epochs, args.threads)
    print(
        json.dumps(
            {k: result[k] for k in ("wall_seconds", "valid_ppl", "test_ppl", "vocab_size")},
            indent=1,
        )
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
