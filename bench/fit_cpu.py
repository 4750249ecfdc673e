"""CPU time of one default STDPClassifier fit on digits, for the code of each given checkout.

Usage: ``python bench/fit_cpu.py [CHECKOUT ...]`` (default: this checkout). Each
checkout is measured in a process of its own, one after the other, with its own
``snn`` and ``tasks`` packages first on the path: ``STDPClassifier(random_state=0)``
(runtime backend where the code has a choice) is fitted on a 20-image subset
first, so that Brian2's Cython cache is warm, then ``fit`` on the 1347 training
images is timed with ``time.process_time()``. To compare with an earlier commit:
``git worktree add /tmp/old COMMIT && python bench/fit_cpu.py /tmp/old .``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

MEASURE = """
import inspect, json, sys, time
sys.path.insert(0, sys.argv[1])
from snn import STDPClassifier
from tasks import load_task
task = load_task("digits", seed=0)
keywords = {"backend": "runtime"} if "backend" in inspect.signature(STDPClassifier).parameters else {}
STDPClassifier(random_state=0, epochs=1, **keywords).fit(task.X_train[:20], task.y_train[:20])
clf = STDPClassifier(random_state=0, **keywords)
cpu, wall = time.process_time(), time.perf_counter()
clf.fit(task.X_train, task.y_train)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
print(json.dumps({"cpu_s": cpu, "wall_s": wall, "test_accuracy": clf.score(task.X_test, task.y_test)}))
"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkouts", nargs="*", default=[str(Path(__file__).parents[1])])
    args = parser.parse_args(argv)
    for checkout in args.checkouts:
        if not (Path(checkout) / "snn").is_dir():
            parser.error(f"checkouts: {checkout!r} holds no snn package")
    print("| checkout | fit CPU s | fit wall s | test accuracy |")
    print("| --- | ---: | ---: | ---: |")
    for checkout in args.checkouts:
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, str(Path(checkout).resolve())],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        print(
            f"| {checkout} | {row['cpu_s']:.1f} | {row['wall_s']:.1f} | "
            f"{row['test_accuracy']:.4f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
