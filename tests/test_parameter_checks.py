"""Functions across the packages check their arguments through core.params: a wrong type is
a TypeError, a wrong value a ValueError, both as ``name must be ..., got name=value``."""

import pandas as pd
import pytest

from ann.rules import FeedbackAlignment
from experiments.aggregate import aggregate
from experiments.baselines import baselines, evaluate
from experiments.stats import mean_interval
from social.graphs import make_graph
from social.metrics import knowledge_diffusion
from social.partitions import partition_data
from tasks import load_task

IRIS = load_task("iris", seed=0)
TABLE = pd.DataFrame(
    {"round": [1, 1], "agent": [0, 1], "type": ["ann", "snn"], "accuracy": [0.5, 0.7]}
)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: FeedbackAlignment(feedback_scale=0.0), ValueError, "feedback_scale=0.0"),
        (lambda: FeedbackAlignment(feedback_scale="1"), TypeError, "feedback_scale='1'"),
        (lambda: make_graph("ring", None, seed=0), TypeError, "n_agents=None"),
        (lambda: make_graph("ring", 0, seed=0), ValueError, "n_agents=0"),
        (lambda: knowledge_diffusion(TABLE, 0.6, fraction=0), ValueError, "fraction=0"),
        (lambda: knowledge_diffusion(TABLE, 0.6, fraction="half"), TypeError, "fraction='half'"),
        (
            lambda: partition_data("non_iid", IRIS, range(3), None, alpha=-1.0),
            ValueError,
            "alpha=-1.0",
        ),
        (
            lambda: partition_data("non_iid", IRIS, range(3), None, alpha="big"),
            TypeError,
            "alpha='big'",
        ),
        (lambda: mean_interval([0.1, 0.2], confidence=1.0), ValueError, "confidence=1.0"),
        (lambda: aggregate("nowhere", confidence=True), TypeError, "confidence=True"),
        (lambda: evaluate(baselines(IRIS), IRIS, split="train"), ValueError, "split='train'"),
        (lambda: evaluate(baselines(IRIS), IRIS, n_train=0), ValueError, "n_train=0"),
    ],
)
def test_a_bad_argument_is_refused_by_name_and_kind(call, error, message):
    with pytest.raises(error, match=f" must be .*, got {message}$".replace("(", r"\(")):
        call()


def test_the_valid_values_still_pass():
    assert FeedbackAlignment(feedback_scale=None).feedback_scale is None
    assert make_graph("ring", 4, seed=0).number_of_nodes() == 4
    assert knowledge_diffusion(TABLE, 0.6, fraction=0.5) == 1.0  # one agent of two at 0.6+
    assert mean_interval([0.1, 0.2, 0.3], confidence=0.9).n == 3
