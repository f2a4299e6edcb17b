"""Every "Fix:" hint a command can print names only options that command has.

The hints are found in the source (every string literal holding "Fix:", read with ``ast``
so an f-string's literal parts count and implicitly joined literals are one string); the
options are the ``--long-names`` after "Fix:", leaving out commands quoted in backticks
(``apt-get install --reinstall``). Each command is checked against the modules whose
errors it can show: a hint naming ``--fill`` in the series task must work for
``seqlab train`` and ``seqlab compare`` alike.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import typer.main

import seqlab
from seqlab.cli.app import app

SRC = Path(seqlab.__file__).parent
# command -> the modules (relative to src/seqlab) whose error messages it can print
REACH = {
    "compare": [
        "advisor/*.py",
        "tasks/series.py",
        "tasks/classify.py",
        "tasks/text.py",
        "data/table.py",
        "data/sequences.py",
        "data/files.py",
        "data/corpus.py",
    ],
    "train": ["tasks/*.py", "data/*.py", "train.py"],
}
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def hints(path: Path) -> list[tuple[int, str]]:
    """(line, text after "Fix:") of every string literal in ``path`` holding "Fix:"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = []
    for node in ast.walk(tree):
        if id(node) in parts:  # a piece of an f-string: read with the whole string
            continue
        text = _literal_text(node)
        if text and "Fix:" in text:
            found.append((node.lineno, text.split("Fix:", 1)[1]))
    return found


def hinted_options(text: str) -> set[str]:
    return set(OPTION.findall(re.sub(r"`[^`]*`", "", text)))


def command_options(name: str) -> set[str]:
    command = typer.main.get_command(app).commands[name]
    return {o for p in command.params for o in getattr(p, "opts", []) if o.startswith("--")}


CASES = [
    (command, path)
    for command, patterns in REACH.items()
    for pattern in patterns
    for path in sorted(SRC.glob(pattern))
    if any(hints(path))
]


def test_the_hint_reader_finds_options_after_fix_only(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        'a = "use --steps. Fix: `apt-get install --reinstall -y x`"\n'
        'b = f"{a}: missing ({1}). Fix: " "--fill interpolate or --limit N"\n',
        encoding="utf-8",
    )
    found = [hinted_options(text) for _, text in hints(source)]
    assert set().union(*found) == {"--fill", "--limit"}
    assert any("--fill" in hinted_options(t) for _, t in hints(SRC / "tasks" / "series.py"))


@pytest.mark.parametrize(
    ("command", "path"), CASES, ids=[f"{c}:{p.relative_to(SRC)}" for c, p in CASES]
)
def test_every_fix_hint_names_an_option_the_command_has(command, path):
    have = command_options(command)
    missing = [
        (line, opt) for line, text in hints(path) for opt in sorted(hinted_options(text) - have)
    ]
    assert not missing, f"seqlab {command} lacks options its hints name ({path.name}): {missing}"
