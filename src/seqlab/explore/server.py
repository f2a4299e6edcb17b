"""The ASGI app (FastAPI) of ``seqlab explore``: the page, its assets, and a small JSON API.

    GET  /                 the page (static/index.html)
    GET  /static/…         its script, style and the vendored Vega-Lite bundle
    GET  /api/runs         the loaded runs
    GET  /api/examples     test-set examples of one run (?run=ID&limit=N)
    POST /api/analyze      per-step top-5 predictions and every panel, per model
    POST /api/saliency     occlusion or gradient × input of every step for one prediction
    POST /api/match        LSTMVis's match view over a run's test set
    GET  /openapi.json     the schema of all of the above

Models are loaded once (``load_runs``) and inference runs live; the work behind each
endpoint is ``seqlab.explore.explorer.Explorer``'s. Status codes: 400 input the models
cannot take (the message says why), 404 an unknown run id, 422 a malformed request or a
limit exceeded.
"""

from __future__ import annotations

import socket
from importlib import resources
from typing import Any

from fastapi import FastAPI, Query
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from seqlab.errors import DataValidationError, SeqlabError
from seqlab.explore import schema
from seqlab.explore.explorer import Explorer
from seqlab.explore.runs import LoadedRun

CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'"
)  # Vega compiles its expressions with Function(): hence 'unsafe-eval'; nothing remote


def create_app(runs: list[LoadedRun]) -> FastAPI:
    """The app over already loaded runs (``seqlab.explore.runs.load_runs``)."""
    ex = Explorer(runs)
    app = FastAPI(
        title="seqlab explore",
        version="1",
        description="Predictions, saliency, gates and matches of trained seqlab runs.",
        docs_url=None,  # the interactive docs load their assets from a CDN
        redoc_url=None,
    )
    static = resources.files("seqlab.explore") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    infos = [ex.run_info(r) for r in runs]

    @app.middleware("http")
    async def _headers(request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.exception_handler(SeqlabError)
    async def _bad_input(request, e: SeqlabError):
        return JSONResponse({"detail": str(e)}, status_code=400)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(str(static / "index.html"), media_type="text/html")

    @app.get("/api/runs", response_model=list[schema.RunInfo])
    def list_runs() -> list[dict[str, Any]]:
        """The runs this server was started with."""
        return infos

    @app.get(
        "/api/examples",
        response_model=list[schema.Example],
        responses={404: {"model": schema.Error}},
    )
    def examples(
        run: str = Query(..., max_length=200), limit: int = Query(20, ge=1, le=64)
    ) -> list[dict[str, Any]]:
        """Test-set examples of one run (text for token runs)."""
        r = ex.run(run)
        return [r.example_preview(i, 40) for i in range(min(limit, len(r.examples)))]

    errors = {400: {"model": schema.Error}, 404: {"model": schema.Error}}

    @app.post("/api/analyze", response_model=schema.AnalyzeResponse, responses=errors)
    def post_analyze(req: schema.AnalyzeRequest) -> dict[str, Any]:
        """Top-5 next-step predictions per step and every gate / state panel, per model."""
        return ex.analyze(req)

    @app.post("/api/saliency", response_model=schema.SaliencyResponse, responses=errors)
    def post_saliency(req: schema.SaliencyRequest) -> dict[str, Any]:
        """Gradient × input of every earlier step for the prediction at ``position``."""
        return ex.saliency(req)

    @app.post("/api/match", response_model=schema.MatchResponse, responses=errors)
    def post_match(req: schema.MatchRequest) -> dict[str, Any]:
        """Test-set passages where the chosen units are on, ranked as LSTMVis ranks."""
        return ex.match(req)

    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one); ``DataValidationError``
    when the address cannot be used."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as e:
        raise DataValidationError(
            f"cannot listen on {host}:{port} ({e.strerror or e}). Pass a free port with "
            "--port (e.g. --port 0 picks one), or another address with --host."
        ) from e
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(runs: list[LoadedRun], sock: socket.socket, on_ready=None) -> None:
    """Serve the app on ``sock`` until Ctrl-C (SIGINT) or SIGTERM; returns normally then."""
    import uvicorn

    app = create_app(runs)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it handled, after shutting down
        pass
    finally:
        sock.close()
