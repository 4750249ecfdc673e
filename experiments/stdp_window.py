"""The STDP window each spike-timing rule produces in simulation, against its theory.

For every registered spike-timing rule (those defining ``window``), the Bi &
Poo (1998) pairing protocol runs in Brian2 (:func:`snn.analysis.stdp_window`)
and the measured weight change per pairing is drawn over the rule's
closed-form window. A rule registered by a user appears here without editing
this file.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.progress import progress
from experiments._base import COUNT, POSITIVE, Presets, Result, register_experiment
from experiments.aggregate import errors
from experiments.style import figure
from experiments.sweep_figures import Panel, metric_rows, panel_grid


@dataclass(frozen=True)
class Settings(Presets):
    delta_t_ms: tuple = tuple(float(d) for d in np.arange(-100, 101, 5))
    n_pairings: int = 60
    pairing_frequency_hz: float = 1.0
    rules: tuple | None = None  # None: every registered spike-timing rule

    CONSTRAINTS = {
        "n_pairings": COUNT,
        "pairing_frequency_hz": POSITIVE,
    }

    QUICK = dict(delta_t_ms=tuple(float(d) for d in np.arange(-80, 81, 10)), n_pairings=10)


def spike_timing_rules(names=None) -> list[str]:
    """Registered rules that define an STDP window (all of them, or those in ``names``)."""
    from snn import RULES

    chosen = list(RULES) if names is None else list(names)
    unknown = [n for n in chosen if n not in RULES]
    if unknown:
        raise ValueError(f"unknown rule(s) {unknown}; known: {sorted(RULES)}")
    return [n for n in chosen if RULES[n]().is_spike_timing]


def theory(rule, delta_t_ms: np.ndarray, settings: Settings, initial_weight: float) -> np.ndarray:
    """The rule's closed-form window, evaluated under the protocol's conditions."""
    from brian2 import Hz

    accepted = inspect.signature(rule.window).parameters
    extra = {}
    if "w" in accepted:
        extra["w"] = initial_weight
    if "pairing_frequency" in accepted:
        extra["pairing_frequency"] = settings.pairing_frequency_hz * Hz
    if "n_pairings" in accepted:
        extra["n_pairings"] = settings.n_pairings
    return np.asarray(rule.window(delta_t_ms, **extra), dtype=float)


def _figures(result: Result, settings: Settings) -> dict:
    rules = list(dict.fromkeys(result.metrics["rule"]))
    fig, axes = figure(1, len(rules), figsize=(3.6 * len(rules), 3.6), squeeze=False)
    for ax, name in zip(axes[0], rules):
        rows = result.metrics[result.metrics.rule == name]
        ax.axhline(0, color="0.6", linewidth=0.8)
        ax.axvline(0, color="0.6", linewidth=0.8)
        curve = result.tables["theory_curve"]
        curve = curve[curve.rule == name]
        for side in (curve[curve.delta_t_ms < 0], curve[curve.delta_t_ms >= 0]):
            ax.plot(
                side.delta_t_ms,
                side.theory,
                color="0.2",
                label="theory" if side.delta_t_ms.iloc[0] >= 0 else None,
            )
        ax.plot(
            rows.delta_t_ms,
            rows.simulated,
            "o",
            color="#d62728",
            markersize=4,
            label="Brian2 simulation",
        )
        ax.set_title(name)
        ax.set_xlabel("$\\Delta t = t_{post} - t_{pre}$ (ms)")
    axes[0, 0].set_ylabel("weight change per pairing (units of $w_{max}$)")
    axes[0, 0].legend()
    fig.suptitle("STDP windows: pairing protocol (Bi & Poo 1998) against each rule's theory")
    fig.tight_layout()
    return {"stdp_windows": fig}


def _aggregate_figures(aggregate) -> dict:
    """The measured window (mean and interval over runs) over the rule's theory, per rule."""
    summary = aggregate.summary

    def draw(rule):
        def panel(ax, rows):
            ax.axhline(0, color="0.6", linewidth=0.8)
            ax.axvline(0, color="0.6", linewidth=0.8)
            theory = metric_rows(rows, "theory", rule=rule).sort_values("delta_t_ms")
            for side in (theory[theory.delta_t_ms < 0], theory[theory.delta_t_ms >= 0]):
                if len(side):
                    positive = side.delta_t_ms.iloc[0] >= 0
                    ax.plot(
                        side.delta_t_ms,
                        side["mean"],
                        color="0.2",
                        label="theory (closed form)" if positive else None,
                    )
            simulated = metric_rows(rows, "simulated", rule=rule)
            ax.errorbar(
                simulated["delta_t_ms"],
                simulated["mean"],
                yerr=errors(simulated),
                fmt="o",
                markersize=4,
                capsize=2,
                color="#d62728",
                label="Brian2 simulation (mean, interval over runs)",
            )
            ax.set_xlabel("$\\Delta t = t_{post} - t_{pre}$ (ms)")
            ax.set_ylabel("weight change per pairing\n(units of $w_{max}$)")

        return panel

    panels = [Panel(rule, draw(rule)) for rule in dict.fromkeys(summary["rule"])]
    figure = panel_grid(
        aggregate,
        panels,
        ["rule", "delta_t_ms"],
        "STDP windows: pairing protocol (Bi & Poo 1998) against each rule's theory",
        panel_size=(4.2, 3.4),
        note="The runs agree exactly (zero-width intervals): the pairing protocol draws "
        "nothing at random."
        if ((summary["ci_high"] - summary["ci_low"]).fillna(0) == 0).all()
        else "",
    )
    return {"stdp_windows": figure}


def _summary(result: Result, settings: Settings) -> str:
    lines = [
        "# STDP windows",
        "",
        f"One run of the Bi & Poo (1998) pairing protocol per rule ({settings.n_pairings} "
        f"pairings at {settings.pairing_frequency_hz:g} Hz per spike-time difference): the "
        "protocol draws nothing at random, so every seed gives the same numbers and they "
        "carry no interval; theory is each rule's closed-form window.",
        "",
        "| rule | max potentiation | max depression | "
        "largest deviation from theory (fraction of peak) |",
        "| --- | --- | --- | --- |",
    ]
    for name, rows in result.metrics.groupby("rule", sort=False):
        peak = np.abs(rows.theory).max()
        deviation = np.abs(rows.simulated - rows.theory).max() / peak if peak else np.nan
        lines.append(
            f"| {name} | {rows.simulated.max():.2e} | {rows.simulated.min():.2e} | "
            f"{deviation:.3f} |"
        )
    return "\n".join(lines)


@register_experiment(order=30)
def run(settings: Settings, seed: int) -> Result:
    """simulated STDP window against the theoretical curve for each spike-timing rule"""
    # The pairing protocol is deterministic: the seed has nothing to draw.
    from brian2 import Hz

    from snn import RULES
    from snn.analysis import stdp_window

    delta_t = np.asarray(settings.delta_t_ms, dtype=float)
    fine = np.arange(delta_t.min(), delta_t.max() + 0.25, 0.5)
    rows, curves = [], []
    for name in progress(spike_timing_rules(settings.rules), desc="stdp_window", unit="rules"):
        rule = RULES[name]()
        wmax = float(rule.params.get("wmax", 1.0))
        simulated = stdp_window(
            rule,
            delta_t,
            n_pairings=settings.n_pairings,
            pairing_frequency=settings.pairing_frequency_hz * Hz,
        )
        expected = theory(rule, delta_t, settings, initial_weight=wmax / 2)
        rows.append(
            pd.DataFrame(
                {
                    "rule": name,
                    "delta_t_ms": delta_t,
                    "simulated": np.asarray(simulated, dtype=float) / wmax,
                    "theory": expected / wmax,
                }
            )
        )
        curves.append(
            pd.DataFrame(
                {
                    "rule": name,
                    "delta_t_ms": fine,
                    "theory": theory(rule, fine, settings, wmax / 2) / wmax,
                }
            )
        )
    return Result(
        metrics=pd.concat(rows, ignore_index=True),
        tables={"theory_curve": pd.concat(curves, ignore_index=True)},
    )
