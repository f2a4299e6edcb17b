"""The report writer: results dict -> results.json, report.html, summary.md, and the plots."""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from fixtures_results import advisor_results, claims_results, draw_figures, with_script_statement
from seqlab.report import plots, render_html, render_summary, write_report
from seqlab.report.format import evidence_tables, format_interval, format_number, format_value


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside each badge."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.badges: list[str] = []
        self._in_badge = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "span" and "badge" in (a.get("class") or "").split():
            self._in_badge = 1
            self.badges.append("")
        elif self._in_badge and tag == "span":
            self._in_badge += 1

    def handle_endtag(self, tag):
        if self._in_badge and tag == "span":
            self._in_badge -= 1

    def handle_data(self, data):
        if self._in_badge:
            self.badges[-1] += data


def parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def claims_report(tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("claims")
    results = claims_results()
    draw_figures(results, out)
    write_report(results, out)
    return results, out


@pytest.fixture(scope="module")
def advisor_report(tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("advisor")
    results = advisor_results()
    draw_figures(results, out)
    write_report(results, out)
    return results, out


# ---- files -------------------------------------------------------------------------------


def test_write_report_writes_three_files_and_no_temporaries(tmp_path):
    paths = write_report(claims_results(), tmp_path)
    assert set(paths) == {"results", "html", "summary"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "report.html",
        "results.json",
        "summary.md",
    ]
    assert all(p.stat().st_size > 0 for p in paths.values())


def test_results_json_round_trips(claims_report):
    results, out = claims_report
    assert json.loads((out / "results.json").read_text(encoding="utf-8")) == results


def test_numpy_values_and_nan_become_plain_json(tmp_path):
    results = claims_results()
    ev = results["claims"][0]["evidence"]
    ev["acc"] = np.array([0.5, 0.25])
    ev["n"] = np.int64(3)
    ev["diverged"] = float("nan")
    write_report(results, tmp_path)
    stored = json.loads((tmp_path / "results.json").read_text())["claims"][0]["evidence"]
    assert stored["acc"] == [0.5, 0.25] and stored["n"] == 3 and stored["diverged"] is None


def test_bad_verdict_is_rejected_before_anything_is_written(tmp_path):
    results = claims_results()
    results["claims"][2]["verdict"] = "probably"
    results["claims"][3]["id"] = "runs"
    with pytest.raises(ValueError, match=r"claims\[2\]\.verdict 'probably'") as e:
        write_report(results, tmp_path / "out")
    assert "collides with a report section" in str(e.value)
    assert not (tmp_path / "out").exists()


def test_an_error_claim_needs_its_error_text():
    results = claims_results()
    results["claims"][1]["verdict"] = "error"
    with pytest.raises(ValueError, match=r"claims\[1\] has verdict 'error' but no 'error' text"):
        render_summary(results)


def test_a_broken_experiment_is_shown_as_an_error_not_a_verdict(tmp_path):
    results = claims_results()
    c = results["claims"][1]
    c.update(verdict="error", error="KeyError: 'long'", evidence={}, figure=None)
    c["reason"] = "no verdict: the experiment failed (KeyError: 'long')"
    results["errors"] = [f"{c['id']}: KeyError: 'long'"]
    write_report(results, tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert html.index('id="errors"') < html.index('id="overview"')  # before any verdict
    assert f"<li>{c['id']}: KeyError: &#39;long&#39;</li>" in html
    section = html[html.index(f'id="{c["id"]}"') :]
    assert section.startswith(f'id="{c["id"]}" data-verdict="error"')
    assert "<strong>Error:</strong>" in section[: section.index("</section>")]
    summary = (tmp_path / "summary.md").read_text()
    assert "## Errors: this run is incomplete" in summary
    assert "1 error)" in summary and "🛑 error" in summary


def test_a_claim_with_parts_shows_each_part_with_its_verdict_and_numbers(tmp_path):
    results = claims_results()
    c = results["claims"][0]
    c["verdict"] = "inconclusive"
    c["parts"] = [
        {"part": "the LSTM keeps the cue", "verdict": "supported", "reason": "acc 0.98"},
        {"part": "the RNN drifts", "verdict": "inconclusive", "reason": "acc 0.61 [0.4, 0.8]"},
    ]
    write_report(results, tmp_path)
    html = (tmp_path / "report.html").read_text()
    section = html[html.index(f'id="{c["id"]}"') :]
    section = section[: section.index("</section>")]
    assert '<table class="parts">' in section
    for q in c["parts"]:
        row = section[section.index(f"<td>{q['part']}</td>") :]
        row = row[: row.index("</tr>")]
        assert q["verdict"] in row and q["reason"] in row
    summary = (tmp_path / "summary.md").read_text()
    assert "  - the RNN drifts: inconclusive (acc 0.61 [0.4, 0.8])" in summary


def test_a_part_without_a_verdict_is_rejected():
    results = claims_results()
    results["claims"][0]["parts"] = [{"part": "x", "verdict": "maybe", "reason": ""}]
    with pytest.raises(ValueError, match=r"claims\[0\]\.parts\[0\]"):
        render_summary(results)


# ---- report.html -------------------------------------------------------------------------


def test_every_claim_is_a_section_with_its_verdict_badge(claims_report):
    results, out = claims_report
    tags = parse((out / "report.html").read_text(encoding="utf-8"))
    sections = {
        a["id"]: a for t, a in tags.tags if t == "section" and "claim" in (a.get("class") or "")
    }
    assert list(sections) == [c["id"] for c in results["claims"]]
    for c in results["claims"]:
        assert sections[c["id"]]["data-verdict"] == c["verdict"]
    # Badge text: three in the counts line, one per claim in the overview and in each heading.
    verdicts = [b.split()[-1] for b in tags.badges]
    for v in ("supported", "refuted", "inconclusive"):
        n = sum(c["verdict"] == v for c in results["claims"])
        assert verdicts.count(v) == 1 + 2 * n


def test_overview_links_point_at_claim_sections(claims_report):
    _, out = claims_report
    tags = parse((out / "report.html").read_text(encoding="utf-8"))
    ids = {a["id"] for _, a in tags.tags if a.get("id")}
    links = [
        a["href"][1:] for t, a in tags.tags if t == "a" and (a.get("href") or "").startswith("#")
    ]
    assert len(links) == 9 and set(links) <= ids


def test_html_is_self_contained(claims_report):
    _, out = claims_report
    html = (out / "report.html").read_text(encoding="utf-8")
    tags = parse(html)
    refs = [v for _, a in tags.tags for k, v in a.items() if k in ("src", "href") and v]
    assert refs, "expected images and links"
    assert all(r.startswith(("data:", "#")) for r in refs), [r[:40] for r in refs]
    assert not [t for t, _ in tags.tags if t in ("script", "link", "iframe", "object")]
    assert "http://" not in html and "https://" not in html and "@import" not in html


def test_every_figure_is_inlined_byte_for_byte(claims_report):
    results, out = claims_report
    tags = parse((out / "report.html").read_text(encoding="utf-8"))
    srcs = [a["src"] for t, a in tags.tags if t == "img"]
    figures = [c["figure"] for c in results["claims"] if c["figure"]]
    assert len(srcs) == len(figures)
    for src, rel in zip(srcs, figures, strict=True):
        head, data = src.split(",", 1)
        assert head == "data:image/png;base64"
        assert base64.b64decode(data) == (out / rel).read_bytes()


def test_statement_markup_is_escaped(tmp_path):
    html = render_html(with_script_statement(), tmp_path)
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


class _Statement(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inside, self.text = False, ""

    def handle_starttag(self, tag, attrs):
        self.inside = self.inside or (tag == "p" and ("class", "statement") in attrs)

    def handle_endtag(self, tag):
        self.inside = self.inside and tag != "p"

    def handle_data(self, data):
        self.text += data if self.inside else ""


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("<>&\"'|\\"))


@settings(max_examples=30)
@given(statement=_TEXT)
def test_any_statement_survives_html_and_markdown_intact(statement):
    results = claims_results()
    results["claims"] = results["claims"][:1]
    results["claims"][0]["statement"] = statement
    p = _Statement()
    p.feed(render_html(results, Path("/nonexistent")))
    assert p.text == statement  # escaped on the way in, exactly the same text on the way out
    rows = [line for line in render_summary(results).splitlines() if line.startswith("| ")]
    cells = re.split(r"(?<!\\)\|", rows[1])  # row 0 is the header
    assert len(cells) == 5  # "", claim, verdict, statement, "": no pipe broke out of its cell


def test_missing_figure_is_named_in_the_report_not_fatal(tmp_path):
    results = claims_results()  # figures named but never drawn
    html = render_html(results, tmp_path)
    assert "<img" not in html
    assert "Figure <code>figures/rnn-forgets.png</code> was not found" in html


def test_evidence_intervals_and_numbers_are_formatted_in_html(claims_report):
    _, out = claims_report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "0.82 [0.79, 0.85] (n=3)" in html  # {"mean", "lo", "hi", "n"}
    assert "0.21 ± 0.03 (n=3)" in html  # {"mean", "ci95", "n"}
    assert "5,018,368" in html and "3.2e-7" in html
    assert "0.99999" in html  # r2 is not rounded to a false "1"


def test_reasons_extra_claim_keys_and_run_notes_are_shown(claims_report):
    _, out = claims_report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<strong>Why supported:</strong> LSTM 0.93 [0.92, 0.94] vs RNN" in html
    assert "<td>seeds_used</td>" in html
    assert (
        "<pre>lstm-gates-roles: Traceback (most recent call last):\n  File &#34;gates.py&#34;"
        in html
    )
    assert "ValueError: &lt;no cue step&gt;</pre>" in html
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "- lstm-gates-roles: Traceback (most recent call last):\n" in md
    assert "— why: LSTM 0.93 [0.92, 0.94] vs RNN 0.11 [0.1, 0.12] at d=40." in md


def test_advisor_report_shows_recommendation_and_marks_the_chosen_candidate(advisor_report):
    results, out = advisor_report
    html = (out / "report.html").read_text(encoding="utf-8")
    tags = parse(html)
    assert any(a.get("id") == "recommendation" for _, a in tags.tags)
    chosen = [a for t, a in tags.tags if t == "tr" and a.get("class") == "chosen"]
    assert len(chosen) == 1
    assert "ffnn with a window of 2 steps" in html and "within noise" in html
    assert len([t for t, _ in tags.tags if t == "img"]) == 1


# ---- summary.md --------------------------------------------------------------------------


def test_summary_has_a_verdict_table_row_per_claim(claims_report):
    results, out = claims_report
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "| claim | verdict | statement |" in md
    for c in results["claims"]:
        row = next(
            line for line in md.splitlines() if line.startswith(f"| {c.get('title') or c['id']} |")
        )
        assert f" {c['verdict']} |" in row
    for q in results["questions"]:
        assert q["question"] in md
    assert "7 supported, 1 refuted, 1 inconclusive" in md


def test_summary_escapes_pipes_in_table_cells():
    results = claims_results()
    results["claims"][0]["statement"] = "a | b\nc"
    md = render_summary(results)
    assert "| a \\| b c |" in md


def test_summary_of_advisor_has_recommendation_and_candidates(advisor_report):
    _, out = advisor_report
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "## Recommendation: ffnn with a window of 2 steps" in md
    assert "| ffnn | 2 | 99 | mae | 0.41 | [0.39, 0.43] |" in md


# ---- formatting and evidence tables ------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (1234567, "1,234,567"),
        (0.123456, "0.1235"),
        (12.3456, "12.35"),
        (1.23456e-5, "1.235e-5"),
        (2.5e10, "2.5e10"),
        (45678.9, "45,679"),
        (0.99999, "0.99999"),
        (1.0, "1"),
        (0.0, "0"),
        (None, "—"),
        (True, "yes"),
        (math.nan, "nan"),
    ],
)
def test_format_number(x, text):
    assert format_number(x) == text


def test_format_interval_conventions():
    assert format_interval({"mean": 0.5, "lo": 0.4, "hi": 0.6, "n": 5}) == "0.5 [0.4, 0.6] (n=5)"
    assert format_interval({"mean": 0.5, "ci95": 0.1}) == "0.5 ± 0.1"
    assert format_interval({"mean": 0.5, "std": 0.1}) == "0.5 ± 0.1 sd"


def test_long_per_seed_lists_are_shortened():
    assert format_value(list(range(20))) == "0, 1, 2, 3, …, 18, 19 (20 values)"


def test_intervals_with_extra_keys_keep_their_numbers_and_note_the_method():
    acc = {"mean": 0.984375, "lo": 0.9166, "hi": 0.9972, "n": 64, "method": "Wilson, 1 seed"}
    (t,) = evidence_tables({"rows": [{"d": 3, "accuracy": acc}, {"d": 8, "accuracy": acc}]})
    assert t.rows[0][1].text == "0.9844 [0.9166, 0.9972] (n=64)" and t.rows[0][1].numeric
    assert t.notes == ("Wilson, 1 seed",)


def test_sibling_records_in_a_group_become_one_matrix_titled_with_the_group_facts():
    acc = {"mean": 0.5, "lo": 0.4, "hi": 0.6}
    tables = evidence_tables(
        {
            "long": {
                "distance": 8,
                "lstm": {"accuracy": acc, "params": 2580, "window": None},
                "ffnn": {"accuracy": acc, "params": 1700, "window": 5},
            }
        }
    )
    assert [t.title for t in tables] == ["long (distance 8)"]
    assert tables[0].columns == ("", "accuracy", "params", "window")
    assert [c.text for c in tables[0].rows[1]] == ["ffnn", "0.5 [0.4, 0.6]", "1,700", "5"]


def test_evidence_tables_follow_the_conventions():
    tables = evidence_tables(
        {
            "d": 20,
            "rows": [{"model": "lstm", "acc": 0.9}, {"model": "rnn", "acc": 0.2, "note": "x"}],
            "params": {"ffnn": 1200, "lstm": 900},
            "acc": {"lstm": {"5": 0.9, "10": 0.8}, "rnn": {"5": 0.7}},
            "group": {"sub": [{"a": 1}], "s": 2.0, "deep": {"x": {"y": {"z": 1}}}},
        }
    )
    by_title = {t.title: t for t in tables}
    assert by_title[None].columns == ("quantity", "value")
    assert by_title["rows"].columns == ("model", "acc", "note")
    assert by_title["rows"].rows[0][2].text == ""
    assert [c.text for c in by_title["params"].rows[0]] == ["ffnn", "1,200"]
    assert by_title["acc"].columns == ("", "5", "10")
    assert [c.text for c in by_title["acc"].rows[1]] == ["rnn", "0.7", ""]
    assert by_title["acc"].rows[1][2].numeric  # a missing value aligns with its column
    assert by_title["group › sub"].columns == ("a",)
    assert [c.text for c in by_title["group"].rows[1]] == ["deep", '{"x": {"y": {"z": 1}}}']


# ---- plots -------------------------------------------------------------------------------


def test_lines_draws_bands_and_saves_a_1200px_png(tmp_path):
    fig = plots.lines(
        {"lstm": {"x": [1, 2, 3], "y": [0.9, 0.8, 0.7], "lo": [0.8] * 3, "hi": [1.0] * 3},
         "rnn": {"x": [1, 2, 3], "y": [0.5, 0.3, 0.1], "style": "--"}},
        "d", "accuracy", title="t", logy=True, hlines={"chance": 0.1}, vlines=[(5, "k=5")],
    )  # fmt: skip
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1  # one band
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lstm", "rnn", "chance"]
    rel = plots.save_figure(fig, tmp_path, "curve")
    assert rel == "figures/curve.png"
    assert png_size((tmp_path / rel).read_bytes()) == (1200, 675)


def test_model_families_keep_their_colours_across_figures():
    a = plots.lines(
        {"rnn": {"x": [0, 1], "y": [0, 1]}, "lstm": {"x": [0, 1], "y": [1, 0]}}, "x", "y"
    )
    b = plots.lines(
        {"lstm": {"x": [0, 1], "y": [0, 1]}, "lstm-nfg": {"x": [0, 1], "y": [1, 0]}}, "x", "y"
    )
    color = {line.get_label(): line.get_color() for f in (a, b) for line in f.axes[0].lines}
    assert (
        color["lstm"] == plots.FAMILY_COLORS["lstm"] and color["rnn"] == plots.FAMILY_COLORS["rnn"]
    )
    assert color["lstm-nfg"] not in (color["lstm"], color["rnn"])


def test_hbands_draw_a_level_with_its_interval_across_the_plot():
    fig = plots.lines(
        {"ffnn": {"x": [1, 2, 4, 8], "y": [0.9, 0.5, 0.42, 0.41]}},
        "window k",
        "MAE",
        logx=True,
        hbands={"lstm": {"mean": 0.41, "lo": 0.38, "hi": 0.44}, "rnn": (0.4, 0.42, 0.45)},
    )
    ax = fig.axes[0]
    fig.canvas.draw()  # tick labels exist once drawn
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    assert {"1", "2", "5"} <= set(labels)  # a few decades of k: plain numbers, not 10^0
    levels = {line.get_label(): line.get_ydata()[0] for line in ax.lines[1:]}
    assert levels == {"lstm": 0.41, "rnn": 0.42}
    spans = sorted(y for p in ax.patches for y in (p.get_y(), p.get_y() + p.get_height()))
    assert spans == pytest.approx([0.38, 0.4, 0.44, 0.45])
    assert ax.lines[1].get_color() == plots.FAMILY_COLORS["lstm"]


def test_long_titles_wrap_to_the_figure_width():
    title = "Parameters vs window: words (D=300) and 28×28 frames (D=784), H=128, log scale"
    fig = plots.lines({"lstm": {"x": [0, 1], "y": [0, 1]}}, "k", "params", title=title)
    shown = fig.axes[0].get_title()
    assert shown.replace("\n", " ") == title and 1 <= shown.count("\n") <= 2


def test_bars_draw_asymmetric_error_bars_from_intervals():
    fig = plots.bars(
        {"adding": {"lstm": {"mean": 0.9, "lo": 0.8, "hi": 0.95}, "rnn": 0.5}}, "acc", hline=0.5
    )
    ax = fig.axes[0]
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == pytest.approx([0.5, 0.9])
    segments = [s for c in ax.collections for s in c.get_segments()]
    assert len(segments) == 1 and np.allclose(segments[0][:, 1], [0.8, 0.95])  # lstm only


def test_heatmaps_share_one_colour_scale_and_check_shapes(tmp_path):
    rng = np.random.default_rng(0)
    words = ["when", "alice", "is", "hungry", "she", "drives"]
    fig = plots.heatmaps({"input": rng.random((4, 6)), "forget": rng.random((2, 6))}, words)
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 2 and {im.get_clim() for im in images} == {(0.0, 1.0)}
    plots.save_figure(fig, tmp_path, "gates")
    with pytest.raises(ValueError, match="has 5 columns, 6 labels"):
        plots.heatmaps({"input": rng.random((2, 5))}, words)


def test_heatmaps_give_out_of_range_panels_their_own_scale_instead_of_clipping():
    rng = np.random.default_rng(0)
    words = ["when", "alice", "is", "hungry"]
    cell = np.array([[-2.5, 0.3, 1.0, 2.0], [0.1, -0.4, 0.2, 0.0]])
    fig = plots.heatmaps({"i": rng.random((2, 4)), "f": rng.random((2, 4)), "cell c": cell}, words)
    clims = [ax.images[0].get_clim() for ax in fig.axes if ax.images]
    assert clims == [(0.0, 1.0), (0.0, 1.0), (-2.5, 2.5)]
    assert len([ax for ax in fig.axes if not ax.images]) == 2  # two colour bars


def test_heatmap_numbers_are_black_on_light_cells_and_white_on_dark_ones():
    # viridis is dark at 0 and light at 1; RdBu_r is dark at both ends and white at 0
    fig = plots.heatmaps({"gate": [[0.0, 1.0]], "cell": [[-2.0, 0.0]]}, ["a", "b"])
    colors = {(ax.get_ylabel(), t.get_text()): t.get_color() for ax in fig.axes for t in ax.texts}
    assert colors == {
        ("gate", "0.00"): "white",
        ("gate", "1.00"): "black",
        ("cell", "-2.00"): "white",
        ("cell", "0.00"): "black",
    }


def test_save_figure_rejects_names_that_leave_the_figures_folder(tmp_path):
    with pytest.raises(ValueError, match="figure name"):
        plots.save_figure(Figure(), tmp_path, "../escape")
