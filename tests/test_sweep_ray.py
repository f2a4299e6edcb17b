"""`seqlab sweep --executor ray` against a real Ray head started on 127.0.0.1 by the test.

The head runs in its own session (``ray start --block`` under ``setsid``) with its own
temp dir and free ports, and is stopped by signalling that session's process group, so
the test never touches another Ray instance on the machine (``ray stop`` would stop them
all).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ray, pytest.mark.slow]

BIN = Path(sys.executable).parent
GRID = Path(__file__).parent / "grids" / "tiny.toml"
# Recent Ray turns on token authentication when a token exists in ~/.ray (written by any
# earlier local ray.init); the head listens on loopback only, so the test turns it off for
# the head and the driver alike instead of depending on that file.
NO_AUTH = {"RAY_AUTH_MODE": "disabled"}


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def ray_head():
    """``HOST:PORT`` of a one-node Ray cluster with 2 CPUs, stopped after the module."""
    pytest.importorskip("ray")  # installed by `make test` (the seqlab[ray] extra)
    port, client, agent, agent_grpc, env_agent, metrics, node, objects = free_ports(8)
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # unix socket paths stay short
    log = Path(temp_dir) / "head.log"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **NO_AUTH}
    # fmt: off
    command = [
        str(BIN / "ray"), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
        "--port", str(port), "--num-cpus", "2", "--include-dashboard=false",
        "--disable-usage-stats", "--temp-dir", temp_dir,
        "--ray-client-server-port", str(client), "--dashboard-agent-listen-port", str(agent),
        "--dashboard-agent-grpc-port", str(agent_grpc), "--runtime-env-agent-port",
        str(env_agent), "--metrics-export-port", str(metrics), "--node-manager-port",
        str(node), "--object-manager-port", str(objects),
    ]
    # fmt: on
    with log.open("w") as sink:
        head = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while "Ray runtime started" not in log.read_text():
            assert head.poll() is None, f"ray start failed:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"ray start timed out:\n{log.read_text()}"
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        _stop_session(head)


def _stop_session(head: subprocess.Popen) -> None:
    """SIGTERM the head's process group, then SIGKILL whatever is left of it."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
        try:
            os.killpg(head.pid, sig)
        except ProcessLookupError:
            return
        try:
            head.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGKILL:
            return
    head.wait()


def sweep(out: Path, *options: str) -> dict:
    command = [sys.executable, "-m", "seqlab", "sweep", str(GRID), "--out", str(out),
               "--json", "--cpus-per-run", "1", *options]  # fmt: skip
    env = {**os.environ, **NO_AUTH}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_ray_cluster_gives_the_same_metrics_as_the_local_executor(ray_head, tmp_path):
    on_ray = sweep(tmp_path / "ray", "--executor", "ray", "--address", ray_head)
    local = sweep(tmp_path / "local", "--executor", "local", "--jobs", "2")
    assert on_ray["counts"]["executed"] == local["counts"]["executed"] == 4

    def metrics(doc: dict) -> dict:
        return {
            Path(r["run_dir"]).name: (r["config"]["seed"], r["result"]["params"],
                                      r["result"]["value"], r["result"]["valid_value"])
            for r in doc["runs"]
        }  # fmt: skip

    assert metrics(on_ray) == metrics(local)
    assert sorted(seed for seed, *_ in metrics(local).values()) == [1, 1, 2, 2]
    for r in on_ray["runs"]:  # gathered from the run directories the Ray workers wrote
        assert json.loads((Path(r["run_dir"]) / "result.json").read_text()) == r["result"]

    again = sweep(tmp_path / "ray", "--executor", "ray", "--address", ray_head)
    assert again["counts"] == {**on_ray["counts"], "executed": 0, "skipped": 4}
