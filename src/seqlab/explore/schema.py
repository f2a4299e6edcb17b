"""The JSON API's request and response bodies, validated once at the edge (pydantic).

FastAPI publishes them as an OpenAPI schema at ``/openapi.json`` (browsable at ``/docs``
only when the page's own assets are served: ``/docs`` is disabled because it loads its
JavaScript from a CDN). Requests reject unknown fields, so no request can smuggle in a
file path; runs are named by id, never by folder.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT_CHARS = 2000
MAX_TOKENS = 200  # typed text
MAX_EXAMPLE_STEPS = 1000  # test-set examples (an image as 784 pixels fits)
MAX_UNITS = 64
MAX_RESULTS = 50


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExampleRef(Strict):
    run: str = Field(..., max_length=200, description="A run id from GET /api/runs.")
    index: int = Field(..., ge=0, description="Which of the run's test-set examples.")


class InputSpec(Strict):
    """Either ``text`` (token runs) or ``example`` (a test-set example of one run)."""

    text: str | None = Field(
        None, description=f"The words so far; at most {MAX_TEXT_CHARS} characters."
    )
    example: ExampleRef | None = None
    runs: list[str] | None = Field(
        None, max_length=32, description="Run ids to use (default: every loaded run)."
    )
    layer: int = Field(0, ge=0, le=64, description="Which recurrent layer's panels to show.")


class AnalyzeRequest(InputSpec):
    pass


class SaliencyRequest(InputSpec):
    position: int = Field(
        ...,
        ge=0,
        description="Index of the predicting step among the input's steps (0-based, "
        "counted over the typed words, or the example's steps).",
    )
    method: Literal["occlusion", "gradient"] = Field(
        "occlusion",
        description="occlusion: drop in the top class's log-probability when a step's input "
        "is zeroed; gradient: gradient × input of that log-probability.",
    )


class MatchRequest(Strict):
    run: str = Field(..., max_length=200)
    panel: str = Field("h", max_length=16, description="Panel name, e.g. h, c, i, f, o, z.")
    layer: int = Field(0, ge=0, le=64)
    units: list[int] = Field(..., min_length=1, max_length=MAX_UNITS)
    threshold: float = Field(0.3, ge=-1e6, le=1e6)
    limit: int = Field(10, ge=1, le=MAX_RESULTS)


class Prediction(BaseModel):
    label: str
    p: float


class Panel(BaseModel):
    name: str
    label: str
    values: list[list[float]] = Field(..., description="(units, steps)")


class ModelView(BaseModel):
    run: str
    label: str
    model: str
    tokens: list[str] = Field(..., description="One label per step; unknown words as <unk>.")
    words: list[str] = Field(..., description="What was typed at each step.")
    offset: int = Field(0, description="Steps the model feeds before the first typed word.")
    error: str | None = None
    predictions: list[list[Prediction]] | None = None
    outputs: list[list[float]] | None = None
    panels: list[Panel] = []
    input: list[list[float]] | None = Field(None, description="Float inputs, (D, steps).")


class AnalyzeResponse(BaseModel):
    words: list[str]
    unknown: list[str]
    models: list[ModelView]


class SaliencyView(BaseModel):
    run: str
    label: str
    tokens: list[str] = []
    offset: int = 0
    position: int | None = None
    target: str | None = None
    scores: list[float] | None = None
    error: str | None = None


class SaliencyResponse(BaseModel):
    method: str
    models: list[SaliencyView]


class MatchResult(BaseModel):
    passage: int
    start: int
    end: int
    intersection: int
    union: int
    length: int
    before: list[str]
    tokens: list[str]
    after: list[str]


class MatchResponse(BaseModel):
    run: str
    panel: str
    units: list[int]
    threshold: float
    passages: int
    steps: int
    results: list[MatchResult]


class RunInfo(BaseModel):
    id: str
    label: str
    model: str
    task: str
    kind: str
    input: str
    input_size: int
    hidden_size: int
    layers: int
    window: int | None
    test_value: float | None
    examples: int
    examples_note: str
    panels: list[str]


class Example(BaseModel):
    run: str
    index: int
    steps: int
    text: str
    target: str | None = None


class Error(BaseModel):
    detail: str
