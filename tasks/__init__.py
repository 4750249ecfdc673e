"""The shared problems that both kinds of learner solve.

>>> from tasks import load_task, TASKS
>>> task = load_task("xor")
>>> task.kind, task.n_features, task.classes.tolist()
('classification', 2, [0, 1])
>>> len(task.X_train), len(task.X_val), len(task.X_test)  # XOR: the same four points
(4, 4, 4)
>>> sorted(TASKS)
['city_traffic', 'digits', 'digits28', 'fashion_mnist', 'iris', 'mnist', 'seed_regression', 'xor']
"""

from tasks import _builtin as _builtin
from tasks import city_traffic as _city  # noqa: F401  (fills the registry)
from tasks import mnist as _mnist  # noqa: F401  (fills the registry)
from tasks._base import (
    TASKS,
    VALIDATION_SIZE,
    DevelopmentTask,
    Task,
    load_task,
    register_task,
)

__all__ = ["TASKS", "VALIDATION_SIZE", "DevelopmentTask", "Task", "load_task", "register_task"]
