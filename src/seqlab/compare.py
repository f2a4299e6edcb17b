"""The advisor's public face (DESIGN.md's ``compare.py``); the parts live in
``seqlab.advisor``: inputs, plan (candidates and budget), decide (horizon and
recommendation), figure and run.

    from seqlab.compare import CompareOptions, compare
    results = compare(CompareOptions("sales.csv", target="units", budget_minutes=5))
    results["recommendation"]   # {"model": "ffnn", "window": 4, "reason": "..."}
"""

from seqlab.advisor import CompareOptions, compare, infer_task, recommend

__all__ = ["CompareOptions", "compare", "infer_task", "recommend"]
