"""The advisor: which architecture does the user's own data need?

inputs.py   the task kind inferred from the path; the task built (and checked) once
plan.py     the candidates (baselines, linear and FFNN windows on a log2 grid, RNN, LSTM,
            GRU) with comparable parameter counts, and their equal training budget
decide.py   intervals over seeds, "within noise", the memory horizon, the recommendation
figure.py   metric against window k, recurrent models as bands
run.py      ``compare(CompareOptions(...))``: all of it end to end, through the sweep engine
"""

from seqlab.advisor.decide import Decision, Row, memory_horizon, recommend, within_noise
from seqlab.advisor.inputs import infer_task, load_task
from seqlab.advisor.plan import Budget, Candidate, plan_budget, plan_candidates, window_grid
from seqlab.advisor.run import CompareOptions, compare

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
    "plan_budget",
    "plan_candidates",
    "recommend",
    "window_grid",
    "within_noise",
]
