"""Evaluation over the ten-set benchmark: batched generation, resumable predictions, official scores.

`evaluate(model, bench, out, ...) -> dict` is the entry point (`wa-hub evaluate` calls it); the parts are
`generation` (batched decoding), `predictions` (the JSON-lines files), `scoring` (metrics per set) and
`bench` (reading the benchmark folder or Hub dataset).
"""

from wa_hub.evaluate.generation import DECODINGS, clean_prediction, generate_responses
from wa_hub.evaluate.run import evaluate
from wa_hub.evaluate.scoring import reference_predictions, score_set

__all__ = [
    "DECODINGS",
    "clean_prediction",
    "evaluate",
    "generate_responses",
    "reference_predictions",
    "score_set",
]
