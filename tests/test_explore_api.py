"""`seqlab explore`'s JSON API, its numbers against references, its bad inputs, its CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from explore_fixtures import ALICE, explore_runs
from seqlab.explore import create_app, load_runs
from seqlab.explore.match import rank_matches, runs_at_least
from seqlab.explore.schema import MAX_TEXT_CHARS, MAX_TOKENS


@pytest.fixture(scope="session")
def run_dirs(tmp_path_factory) -> dict[str, str]:
    return explore_runs(tmp_path_factory.getbasetemp() / "explore-runs")


@pytest.fixture(scope="module")
def loaded(run_dirs):
    return {r.id.rsplit("-", 1)[0]: r for r in load_runs(list(run_dirs.values()))}


@pytest.fixture(scope="module")
def client(loaded):
    with TestClient(create_app(list(loaded.values()))) as c:
        yield c


def test_analyze_gives_every_model_top5_per_word_and_units_by_steps_panels(client, loaded):
    r = client.post("/api/analyze", json={"text": ALICE})
    assert r.status_code == 200, r.text
    body = r.json()
    T = len(ALICE.split())
    assert body["words"] == ALICE.split()
    views = {v["run"].rsplit("-", 1)[0]: v for v in body["models"]}
    assert set(views) == set(loaded)
    expected_panels = {
        "recall-lstm": ["i", "f", "o", "c", "g", "h"],
        "recall-gru": ["r", "z", "n", "h"],
        "recall-rnn": ["h"],
        "recall-ffnn": ["a"],
        "text-lstm": ["i", "f", "o", "c", "g", "h"],
    }
    for name, panels in expected_panels.items():
        v, run = views[name], loaded[name]
        assert v["error"] is None
        steps = T + v["offset"]
        assert [p["name"] for p in v["panels"]] == panels
        assert all(np.shape(p["values"]) == (run.config.hidden_size, steps) for p in v["panels"])
        # the probabilities are the model's own softmax (forward path, not the trace path)
        with torch.no_grad():
            probs = run.model(run.encode_text(ALICE).x)[0].softmax(-1)  # (T, O)
        for t, top in enumerate(v["predictions"]):
            want_p, want_k = probs[t].topk(min(5, probs.shape[-1]))
            assert [p["label"] for p in top] == [run.class_label(k) for k in want_k.tolist()]
            np.testing.assert_allclose([p["p"] for p in top], want_p.numpy(), atol=1e-5)
    assert "series-gru" in views and "takes numbers, not words" in views["series-gru"]["error"]


def test_lstm_panels_match_a_numpy_lstm_in_float64(client, loaded):
    run = loaded["recall-lstm"]
    v = client.post("/api/analyze", json={"text": ALICE, "runs": [run.id]}).json()["models"][0]
    sd = {k: p.detach().double().numpy() for k, p in run.model.state_dict().items()}
    ids = run.encode_text(ALICE).x[0].numpy()
    x = sd["embed.weight"][ids]  # (T, E)
    H = run.config.hidden_size
    h, c = np.zeros(H), np.zeros(H)
    ref = {n: [] for n in "ifgoc"}
    for x_t in x:
        z = sd["core.weight_ih_l0"] @ x_t + sd["core.bias_ih_l0"]
        z += sd["core.weight_hh_l0"] @ h + sd["core.bias_hh_l0"]
        i, f, g, o = np.split(z, 4)  # torch's gate order i|f|g|o
        i, f, g, o = 1 / (1 + np.exp(-i)), 1 / (1 + np.exp(-f)), np.tanh(g), 1 / (1 + np.exp(-o))
        c = f * c + i * g
        h = o * np.tanh(c)
        for n, val in zip("ifgoc", (i, f, g, o, c), strict=True):
            ref[n].append(val)
    panels = {p["name"]: np.array(p["values"]) for p in v["panels"]}
    for n in "ifgoc":  # values are rounded to 4 decimals for the page
        np.testing.assert_allclose(panels[n], np.array(ref[n]).T, atol=6e-5, err_msg=n)


def test_saliency_is_gradient_times_input_checked_by_finite_differences(client, loaded):
    """s_t = Σ_d e_td ∂y/∂e_td is the derivative of y when e_t is scaled by (1 + ε)."""
    pos = len(ALICE.split()) - 1
    body = client.post(
        "/api/saliency", json={"text": ALICE, "position": pos, "method": "gradient"}
    ).json()
    views = {v["run"].rsplit("-", 1)[0]: v for v in body["models"]}
    for name in ("recall-lstm", "recall-gru", "recall-rnn"):
        run, v = loaded[name], views[name]
        model = run.model
        e0 = model.embed(run.encode_text(ALICE).x).detach().double()  # (1, T, E)
        core, head = _double(model.core), _double(model.head)
        k = run.output_labels.index(v["target"])

        def y(e, head=head, core=core, k=k):
            return head(core(e))[0, pos].log_softmax(-1)[k].item()

        eps, fd = 1e-6, []
        for t in range(e0.shape[1]):
            up, down = e0.clone(), e0.clone()
            up[0, t] *= 1 + eps
            down[0, t] *= 1 - eps
            fd.append((y(up) - y(down)) / (2 * eps))
        np.testing.assert_allclose(v["scores"], fd, rtol=1e-3, atol=2e-6, err_msg=name)
    ffnn = views["recall-ffnn"]["scores"]  # window 5: blind to everything earlier
    assert all(s == 0.0 for s in ffnn[: pos - 4]) and any(s != 0.0 for s in ffnn[pos - 4 :])


def test_occlusion_is_the_drop_in_log_p_when_one_step_is_zeroed(client, loaded):
    pos = len(ALICE.split()) - 1
    body = client.post("/api/saliency", json={"text": ALICE, "position": pos}).json()
    assert body["method"] == "occlusion"
    views = {v["run"].rsplit("-", 1)[0]: v for v in body["models"]}
    for name in ("recall-lstm", "recall-ffnn", "text-lstm"):
        run, v = loaded[name], views[name]
        enc = run.encode_text(ALICE)
        e0 = run.model.embed(enc.x).detach().double()  # (1, T, E)
        core, head = _double(run.model.core), _double(run.model.head)
        with torch.no_grad():
            logp = head(core(e0))[0, enc.offset + pos].log_softmax(-1)
            k = int(logp.argmax())
            want = []
            for t in range(e0.shape[1]):  # one sequence at a time, in float64
                e = e0.clone()
                e[0, t] = 0.0
                want.append(
                    (logp[k] - head(core(e))[0, enc.offset + pos].log_softmax(-1)[k]).item()
                )
        assert v["target"] == run.class_label(k)
        np.testing.assert_allclose(v["scores"], want, atol=2e-5, err_msg=name)
    ffnn = views["recall-ffnn"]["scores"]
    assert all(s == 0.0 for s in ffnn[: pos - 4]) and any(s != 0.0 for s in ffnn[pos - 4 :])


def _double(module):
    import copy

    return copy.deepcopy(module).double()


def _brute_force_matches(states, units, threshold, min_length=2):
    """Every maximal run with >= k selected units on, for every k, scored by loops."""
    units = sorted(set(units))
    found = set()
    for i, s in enumerate(states):
        count = [sum(s[t, u] >= threshold for u in units) for t in range(len(s))]
        for k in range(1, len(units) + 1):
            t = 0
            while t < len(s):
                if count[t] >= k:
                    e = t
                    while e < len(s) and count[e] >= k:
                        e += 1
                    if e - t >= min_length:
                        found.add((i, t, e))
                    t = e
                else:
                    t += 1
    scored = []
    for i, st, e in found:
        active = {u for u in range(states[i].shape[1]) if all(states[i][st:e, u] >= threshold)}
        inter = len(active & set(units))
        scored.append((-inter, len(active | set(units)), -(e - st), i, st, e))
    return [(i, st, e, -a, b) for a, b, _, i, st, e in sorted(scored)]


@pytest.mark.parametrize("seed", range(5))
def test_match_ranking_equals_a_brute_force_lstmvis_ranking(seed):
    rng = np.random.default_rng(seed)
    states = [rng.uniform(-1, 1, size=(rng.integers(3, 20), 6)) for _ in range(4)]
    units = [0, 2, 3]
    got = rank_matches(states, units, 0.0, limit=1000)
    assert [(m.passage, m.start, m.end, m.intersection, m.union) for m in got] == (
        _brute_force_matches(states, units, 0.0)
    )


def test_match_ranks_all_selected_units_on_and_few_others_first():
    on, off = 1.0, -1.0
    a = np.full((6, 4), off)
    a[1:4, [0, 1]] = on  # both selected units on for 3 steps, nothing else
    b = np.full((8, 4), off)
    b[0:8, [0, 1, 2, 3]] = on  # both on, but every other unit too
    c = np.full((9, 4), off)
    c[0:9, 0] = on  # only one of the two, for 9 steps
    got = rank_matches([c, b, a], [0, 1], 0.5)
    assert [(m.passage, m.start, m.end, m.intersection, m.union) for m in got] == [
        (2, 1, 4, 2, 2),
        (1, 0, 8, 2, 4),
        (0, 0, 9, 1, 2),
    ]
    assert runs_at_least(np.array([0, 2, 2, 1, 2, 2, 2]), 2, 2) == [(1, 3), (4, 7)]


def test_match_api_lists_test_passages_with_the_units_on(client, loaded):
    run = loaded["recall-lstm"]
    r = client.post(
        "/api/match", json={"run": run.id, "panel": "i", "units": [1], "threshold": 0.5}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["passages"] == len(run.examples) and body["results"]
    for m in body["results"]:
        assert len(m["tokens"]) == m["length"] >= 2 and m["intersection"] == 1
        x = run.examples[m["passage"]]["x"][None]
        with torch.no_grad():
            gate_i = run.model.trace(x).gates[0]["i"][0, :, 1].numpy()  # (T,)
        assert (gate_i[m["start"] : m["end"]] >= 0.5).all()
        assert run.decode(x[0, m["start"] : m["end"]].tolist()) == m["tokens"]


def test_unknown_words_are_shown_as_unk(client, loaded):
    body = client.post("/api/analyze", json={"text": "the walrus ate the river"}).json()
    text = next(v for v in body["models"] if v["run"] == loaded["text-lstm"].id)
    assert text["tokens"] == ["<eos>", "the", "<unk>", "<unk>", "the", "river"]
    assert "walrus" in body["unknown"]
    recall = next(v for v in body["models"] if v["run"] == loaded["recall-lstm"].id)
    assert "'walrus'" in recall["error"] and "no <unk>" in recall["error"]


def test_a_series_example_gives_per_step_outputs_and_its_input(client, loaded):
    run = loaded["series-gru"]
    ex = client.get("/api/examples", params={"run": run.id}).json()
    assert len(ex) == len(run.examples) >= 1
    r = client.post("/api/analyze", json={"example": {"run": run.id, "index": 0}})
    v = next(v for v in r.json()["models"] if v["run"] == run.id)
    x = run.examples[0]["x"]  # (T, 1)
    with torch.no_grad():
        want = run.model(x[None])[0].numpy()
    np.testing.assert_allclose(v["outputs"], want, atol=6e-5)
    np.testing.assert_allclose(v["input"], x.T.numpy(), atol=6e-5)
    assert [p["name"] for p in v["panels"]] == ["r", "z", "n", "h"]


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/api/analyze", {"text": ""}, 422, "the text is empty"),
        ("/api/analyze", {"text": "   "}, 422, "the text is empty"),
        ("/api/analyze", {"text": "a" * (MAX_TEXT_CHARS + 1)}, 422, f"limit is {MAX_TEXT_CHARS}"),
        ("/api/analyze", {"text": "a " * (MAX_TOKENS + 1)}, 422, f"limit is {MAX_TOKENS}"),
        ("/api/analyze", {"text": "alice", "runs": ["no-such-model"]}, 404, "unknown run"),
        ("/api/analyze", {"text": "alice", "runs": ["../../etc/passwd"]}, 404, "unknown run"),
        ("/api/analyze", {"text": "alice", "path": "/etc/passwd"}, 422, "path"),
        ("/api/analyze", {}, 422, "either text or example"),
        ("/api/saliency", {"text": "alice is", "position": 2}, 422, "past the input's last"),
        ("/api/match", {"run": "/etc/passwd", "units": [0]}, 404, "unknown run"),
        ("/api/match", {"run": "RECALL", "units": [99]}, 422, "out of range"),
        ("/api/match", {"run": "RECALL", "units": [0], "panel": "zz"}, 422, "no panel 'zz'"),
        ("/api/match", {"run": "RECALL", "units": []}, 422, "units"),
    ],
)
def test_bad_requests_get_a_clear_status_and_message(client, loaded, path, body, status, says):
    if body.get("run") == "RECALL":
        body = body | {"run": loaded["recall-lstm"].id}
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    assert says in r.text


def test_a_path_like_text_is_only_words_and_a_path_like_run_is_unknown(client, loaded):
    r = client.post(
        "/api/analyze", json={"text": "../../etc/passwd", "runs": [loaded["text-lstm"].id]}
    )
    assert r.status_code == 200
    view = r.json()["models"][0]
    assert view["words"] == ["<eos>", ".", ".", "/", ".", ".", "/", "etc", "/", "passwd"]
    assert view["tokens"][7] == view["tokens"][9] == "<unk>"  # words, not files
    assert client.get("/api/examples", params={"run": "/etc/passwd"}).status_code == 404


def test_the_schema_documents_the_api_and_the_page_loads_nothing_remote(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/runs", "/api/examples", "/api/analyze", "/api/saliency", "/api/match"} <= set(
        schema["paths"]
    )
    page = client.get("/")
    assert (
        page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    )
    assert "http://" not in page.text and "https://" not in page.text
    for asset in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        assert client.get(f"/static/vendor/{asset}").status_code == 200
    assert client.get("/static/../runs.py").status_code == 404


def test_cli_exits_2_on_a_bad_run_directory_before_serving(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "seqlab", "explore", str(tmp_path / "nope"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2 and "not a run directory" in p.stderr and "Traceback" not in p.stderr
    assert "http://" not in p.stdout


def test_cli_prints_its_url_serves_and_stops_on_ctrl_c_with_exit_0(run_dirs):
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    p = subprocess.Popen(
        [sys.executable, "-m", "seqlab", "explore", run_dirs["recall-lstm"], "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = p.stdout.readline()
        assert "http://127.0.0.1:" in line, line + p.stderr.read()
        url = line.split()[line.split().index("at") + 1]
        with urllib.request.urlopen(url + "api/runs", timeout=30) as r:
            assert r.status == 200
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=60) == 0
        assert "stopped" in p.stdout.read()
    finally:
        if p.poll() is None:
            p.kill()


def test_a_busy_port_is_a_clear_error_naming_the_option():
    from seqlab.errors import DataValidationError
    from seqlab.explore import bind

    busy = bind("127.0.0.1", 0)
    try:
        port = busy.getsockname()[1]
        with pytest.raises(DataValidationError, match=f"127.0.0.1:{port}.*--port"):
            bind("127.0.0.1", port)
    finally:
        busy.close()
