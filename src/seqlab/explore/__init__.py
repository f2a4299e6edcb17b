"""``seqlab explore``: a local web page over trained runs (ASGI server + static client).

    runs = load_runs(["runs/recall-lstm-…", "runs/recall-ffnn-…"])   # each model loaded once
    app = create_app(runs)                                          # FastAPI; see server.py

Modules: ``runs`` (loading, inputs, test-set examples), ``inspect`` (predictions, panels,
saliency), ``match`` (LSTMVis's match view), ``schema`` (the JSON API's bodies),
``server`` (the app and the uvicorn loop). ``static/`` holds the page and the vendored,
pinned Vega-Lite bundle (``make explore-assets`` fetches it again from npm).
"""

from seqlab.explore.runs import LoadedRun, load_runs
from seqlab.explore.server import bind, create_app, serve

__all__ = ["LoadedRun", "bind", "create_app", "load_runs", "serve"]
