"""The advisor: which architecture does the user's own data need?

inputs.py            the task kind inferred from the path; the task built (and checked) once
stationarity.py      trend / unit root tests (ADF, KPSS) on the training rows
series_baselines.py  persistence, seasonal naive, AR on levels and changes, ETS
classify_baselines.py  majority, 1-NN (Euclidean, DTW), ridge, MiniRocket
baselines.py         those as rows; the data the networks train on (levels or changes)
plan.py              the trained candidates (linear and FFNN windows, RNN, LSTM, GRU, TCN,
                     Transformer, minGRU) with comparable parameter counts, and how the
                     measured budget is shared
options.py           ``CompareOptions``, validated once
execute.py           the runs through the sweep engine, their overhead measured; saved caps
decide.py            intervals, "within noise", the memory horizon, the recommendation
results.py           the report's rows (candidates, runs, what was tried)
figure.py            metric against window k, recurrent models as bands
run.py               ``compare(CompareOptions(...))``: all of it end to end
"""

from seqlab.advisor.decide import Decision, Row, memory_horizon, recommend, within_noise
from seqlab.advisor.inputs import infer_task, load_task
from seqlab.advisor.options import CompareOptions
from seqlab.advisor.plan import Budget, Candidate, plan_candidates, window_grid
from seqlab.advisor.run import compare

__all__ = [
    "Budget",
    "Candidate",
    "CompareOptions",
    "Decision",
    "Row",
    "compare",
    "infer_task",
    "load_task",
    "memory_horizon",
    "plan_candidates",
    "recommend",
    "window_grid",
    "within_noise",
]
