"""scikit-learn style estimators built on the Diehl & Cook (2015) spiking network.

:class:`STDPClassifier` and :class:`STDPRegressor` present each sample as a
spike train (Poisson rate or latency code) to a layer of excitatory neurons
with adaptive thresholds and lateral inhibition whose input synapses learn
with a plasticity rule from :data:`snn.RULES`; a readout (Diehl & Cook's
``vote`` or a ridge-regression ``linear`` readout) maps spike counts to
predictions. The unsupervised rules learn prototypes of the inputs;
``label_gated_stdp`` is the supervised route (a label-gated three-factor rule: each neuron is
taught one class by a +1/-1 signal set from the label, not a reward earned
by the network's output).

The whole curriculum of a call -- every epoch, the frozen readout pass --
is ONE Brian2 run (see :mod:`snn.network`, which also gives the reference).
"""

from __future__ import annotations

import dataclasses
import time
from numbers import Integral, Real

import numpy as np
from brian2 import Hz, Quantity, ms, mV, second
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from core import data as check
from core.archive import from_jsonable, to_jsonable
from core.learner import MultiOutputRegressor, atomic_fit, check_fitted
from core.opcounts import OpCounter, cost_table
from core.params import (
    Boolean,
    InstanceOf,
    Interval,
    NoneOf,
    Options,
    RandomState,
    Registered,
    check_param,
    store_parameters,
    validate_params,
    with_defaults,
)
from core.persistence import Persistent, StateMismatch, require_registered
from core.random import check_random_state
from snn._brian import BrianQuantity, time_steps
from snn._engine import EngineConfig, SpikingAgents
from snn._progress import fit_progress
from snn.encoders import ENCODERS, check_features
from snn.network import BACKENDS, TRACES
from snn.readouts import READOUTS
from snn.rules import RULES, PlasticityRule

__all__ = [
    "STDPClassifier",
    "STDPRegressor",
    "DIEHL_COOK_RULE_PARAMS",
    "SPIKING_CONSTRAINTS",
    "build_config",
    "decode_rule",
    "encode_rule",
    "RULE_TAG",
]

#: Parameters each registered rule gets when an estimator is given the rule's
#: *name* (a rule instance is used as it is; rules not listed keep their own
#: defaults). ``stdp`` has twice Diehl & Cook's MNIST rates (depression 2e-4
#: at a presynaptic spike, potentiation 2e-2 at a postsynaptic one, in units
#: of wmax times the trace), which tuned best on digits (bench/RESULTS.md,
#: "Spiking network accuracy"); the other rules are scaled to the same
#: potentiation per postsynaptic spike in this network (about 0.05 * x for
#: an input at x * 128 Hz) and the same weak depression.
DIEHL_COOK_RULE_PARAMS = {
    "stdp": dict(nu_pre=2e-4, nu_post=2e-2),
    "stdp_multiplicative": dict(nu_pre=2e-4, nu_post=2e-2),
    # potentiation A3_plus * r1 * o2 with r1 ~ 2.15 x and o2 ~ 3.4 at 30 Hz
    "triplet": dict(A3_plus=7e-3, A2_minus=2e-4),
    # potentiation eta * x_trace, x_trace ~ 128 Hz * x
    "oja": dict(eta=0.4 * ms),
    # BCM: nu * (x_trace / r0) * (y_trace - theta) / r0 ~ 0.05 * x at 30 Hz
    "bcm": dict(nu=2e-3),
    "label_gated_stdp": dict(nu_pre=2e-4, nu_post=2e-2),
}


def auto_receptive_fields(n_features: int) -> int:
    """``receptive_fields="auto"``: raw features from 32 features up, otherwise
    enough Gaussian fields per feature for about 64 inputs, at most 8 each
    (broader fields than 16 per feature give neurons smoother tuning, which
    the linear readout interpolates better: R^2 0.98 instead of 0.90 on
    seed_regression, bench/RESULTS.md)."""
    if n_features >= 32:
        return 1
    return int(min(8, max(2, np.ceil(64 / n_features))))


#: Rate of a raw feature at 1 under ``max_rate="auto"``.
RAW_FEATURE_RATE = 128 * Hz
#: Under ``max_rate="auto"`` with receptive fields, the expected total input
#: rate of a sample: about that of 8x8 digits at 128 Hz (mean pixel ~0.3).
AUTO_TOTAL_INPUT_RATE = 2500 * Hz


def auto_max_rate(n_features: int, receptive_fields: int, dt) -> Quantity:
    """``max_rate="auto"``: 128 Hz for raw features; with Gaussian receptive
    fields, the peak rate giving a sample ~2.5 kHz of input in total (a
    feature activates ``sqrt(2 pi) * 2/3 ~ 1.67`` fields' worth), at most
    one spike per two time steps. Without this, two features cannot drive a
    neuron to threshold."""
    if receptive_fields == 1:
        return RAW_FEATURE_RATE
    mass_per_feature = np.sqrt(2 * np.pi) * 2.0 / 3.0
    rate = float(AUTO_TOTAL_INPUT_RATE / Hz) / (mass_per_feature * n_features)
    return min(rate, 0.5 / float(dt / second)) * Hz


def resolve_rule(rule):
    """A rule instance from a registered name (with the tuned parameters) or an instance."""
    if isinstance(rule, PlasticityRule):
        return rule
    rule = RULES.canonical(rule)  # a former name (rstdp) warns and gives the current one
    return RULES[rule](**DIEHL_COOK_RULE_PARAMS.get(rule, {}))


#: The estimators' ablation switches (all True is Diehl & Cook's network):
#: ``plasticity`` (False: the random initial weights are kept, normalised,
#: and only the readout is fitted), ``threshold_adaptation`` (False: no
#: threshold rise, thresholds stay at v_threshold), ``weight_normalisation``
#: (False: input weights are never rescaled) and ``lateral_inhibition``
#: (False: no inhibitory synapses between the excitatory neurons).
ABLATION_SWITCHES = (
    "plasticity",
    "threshold_adaptation",
    "weight_normalisation",
    "lateral_inhibition",
)

_TIME = "350*ms (from brian2 import ms)"

#: Constraints of the spiking estimators' parameters (:func:`core.params.validate_params`);
#: ``SNNPopulation`` takes the same.
SPIKING_CONSTRAINTS = {
    "n_neurons": [Interval(Integral, 1, None)],
    "rule": [Registered(RULES), InstanceOf(PlasticityRule, description="a PlasticityRule")],
    "encoding": [Registered(ENCODERS)],
    "readout": [Registered(READOUTS)],
    "epochs": [Interval(Integral, 1, None)],
    "presentation_time": [BrianQuantity(ms, _TIME)],
    "rest_time": [BrianQuantity(ms, _TIME, allow_zero=True)],
    "dt": [BrianQuantity(ms, _TIME)],
    "max_rate": [Options("auto"), BrianQuantity(Hz, "128*Hz")],
    "inhibition": [Interval(Real, 0, None)],
    "evaluation_inhibition": [NoneOf(), Interval(Real, 0, None)],
    "mean_input_weight": [Interval(Real, 0, None, closed="neither")],
    "initial_weight": [Interval(Real, 0, 1)],
    "theta_plus": [BrianQuantity(mV, "0.05*mV", allow_zero=True)],
    "tau_theta": [BrianQuantity(ms, "1000*second")],
    "receptive_fields": [Options("auto"), Interval(Integral, 1, None)],
    "plasticity_decay": [Interval(Real, 0, 1, closed="right")],
    "alpha": [Interval(Real, 0, None)],
    "random_state": [RandomState()],
    **{name: [Boolean()] for name in ABLATION_SWITCHES},
    "backend": [Options(*BACKENDS)],
    "traces": [Options(*TRACES)],
    "verbose": [NoneOf(), Interval(Integral, 0, None)],
}


def build_config(params: dict, n_features: int, regression: bool) -> EngineConfig:
    """Validate an estimator's parameters (a ``get_params()`` dict) into an EngineConfig.

    Raises ValueError/TypeError naming the offending parameter before any work.
    """
    params = validate_params(SPIKING_CONSTRAINTS, params)
    rule = resolve_rule(params["rule"])
    rule.params  # noqa: B018  (validates the rule's parameter overrides now)
    readout = params["readout"]
    if regression and not READOUTS[readout].supports_regression:
        raise ValueError(f"readout={readout!r} cannot predict real values; use readout='linear'")
    if params.get("traces", "synapse") == "neuron" and not rule.neuron_traces:
        raise ValueError(
            f"traces='neuron' needs a rule whose traces a neuron can hold (such as 'stdp'); "
            f"rule={params['rule']!r} lists none; use traces='synapse'"
        )
    if regression and getattr(rule, "uses_reward", False):
        raise ValueError(
            f"rule={params['rule']!r} is label-gated (it needs class labels); "
            "it cannot be used for regression"
        )
    dt = params["dt"]
    time_steps(params["presentation_time"], dt, "presentation_time")
    time_steps(params["rest_time"], dt, "rest_time")
    receptive_fields = params["receptive_fields"]
    if receptive_fields == "auto":
        receptive_fields = auto_receptive_fields(n_features)
    max_rate = params["max_rate"]
    if isinstance(max_rate, str):
        max_rate = auto_max_rate(n_features, receptive_fields, dt)
    if float(max_rate * dt) > 1:
        raise ValueError(
            f"max_rate must be positive and at most one spike per time step "
            f"(1/dt), got max_rate={max_rate!r}"
        )
    fields = [field.name for field in dataclasses.fields(EngineConfig)]
    return EngineConfig(
        **{
            **{key: params[key] for key in fields if key in params},
            **{name: params.get(name, True) for name in ABLATION_SWITCHES},
            "backend": params.get("backend", "auto"),
            "traces": params.get("traces", "synapse"),
            "rule": rule,
            "receptive_fields": receptive_fields,
            "max_rate": max_rate,
        }
    )


class _SpikingEstimator(Persistent, BaseEstimator):
    """Parameters and training loop shared by the classifier and the regressor."""

    _regression = False

    def __init__(
        self,
        n_neurons=400,
        rule="stdp",
        encoding="poisson",
        readout="vote",
        epochs=2,
        presentation_time=350 * ms,
        rest_time=150 * ms,
        dt=0.5 * ms,
        max_rate="auto",
        inhibition=17.0,
        evaluation_inhibition=5.0,
        mean_input_weight=0.3,
        initial_weight=0.3,
        theta_plus=0.5 * mV,
        tau_theta=1000 * second,
        receptive_fields="auto",
        plasticity_decay=0.5,
        alpha=1.0,
        backend="auto",
        traces="synapse",
        random_state=None,
        plasticity=True,
        threshold_adaptation=True,
        weight_normalisation=True,
        lateral_inhibition=True,
        verbose=0,
    ):
        store_parameters(self, locals())

    # -- validation -------------------------------------------------------
    _parameter_constraints = SPIKING_CONSTRAINTS

    def _validate_X(self, X, reset):
        if not reset:
            check_fitted(self, "agents_")
        expected = None if reset else self.n_features_in_
        X = check_features(X, "X", n_features=expected, owner=type(self).__name__)
        if len(X) == 0:
            raise ValueError(f"X has no samples (shape {X.shape})")
        return X

    def _start(self, X, targets_info, rng):
        """Fresh agent state for data with X's shape; ``targets_info`` = (n_outputs, n_classes)."""
        config = build_config(self.get_params(), X.shape[1], self._regression)
        n_outputs, n_classes = targets_info
        self.n_features_in_ = X.shape[1]
        self.agents_ = SpikingAgents(1, X.shape[1], config, n_outputs, n_classes, [rng])
        self.history_ = []

    def _train(self, X, targets, labels, epochs, readout_pass):
        started = time.perf_counter()
        # verbose >= 1: presentations done with elapsed and remaining time (snn._progress).
        total = len(X) * (epochs + int(readout_pass))
        with fit_progress(total, f"{type(self).__name__}.fit", self.verbose):
            reports = self.agents_.train(
                [X],
                [targets],
                None if labels is None else [labels],
                epochs=epochs,
                readout_pass=readout_pass,
                first_epoch=len(self.history_) + 1,
            )
        elapsed = time.perf_counter() - started
        config = self.agents_.config
        window_seconds = float((config.presentation_time + config.rest_time) / second)
        simulated = sum(report["wall_seconds"] for report in reports) or 1.0
        operations = dict(self.history_[-1]["operations"]) if self.history_ else {}
        seen = self.history_[-1]["samples_seen"] if self.history_ else 0
        for report in reports:
            # the run is one piece: apportion its wall time by simulated windows
            wall_seconds = elapsed * report["wall_seconds"] / simulated
            n = int(report["samples"][0])
            seen += n
            for category, count in report["counts"].items():
                operations[category] = operations.get(category, 0) + int(np.asarray(count)[0])
            spikes = int(report["spikes"][0])
            entry = {
                "epoch": len(self.history_) + 1,
                "samples_seen": seen,
                "wall_seconds": wall_seconds,
                self._score_name: float(report["score"][0]),
                "spikes": spikes,
                "input_spikes": int(report["input_spikes"][0]),
                "mean_rate_hz": spikes / max(n * config.n_neurons * window_seconds, 1e-12),
                "operations": dict(operations),
            }
            self.history_.append(entry)

    def _plastic_epochs(self, epochs):
        """``epochs``, or 0 (readout only) for the network without plasticity."""
        return epochs if self.agents_.config.plasticity else 0

    def _counts(self, X):
        """Spike counts of the frozen network shown ``X`` (the estimator is not changed)."""
        X = self._validate_X(X, reset=False)
        counts, _ = self.agents_.respond([X], charge_to=None)
        return counts

    # -- fitted state -----------------------------------------------------
    @property
    def weights_(self):
        """Input weights (n_inputs, n_neurons) of the fitted network."""
        check_fitted(self, "agents_")
        return self.agents_.weights[0]

    @property
    def theta_(self):
        """Adaptive threshold of each neuron, in volts."""
        check_fitted(self, "agents_")
        return self.agents_.theta[0]

    def cost(self, X=None):
        """Operation counts of all training so far and, given ``X``, of predicting it.

        Parameters
        ----------
        X : array-like (n_samples, n_features) or None
            If given, rows of phase ``"inference"`` count what predicting
            ``X`` does: the frozen network is simulated on ``X`` (the same
            input spikes as ``predict``, re-presentations included) and the
            readout scores the responses. The estimator does not change.

        Returns
        -------
        pandas.DataFrame
            Columns ``phase``, ``category``, ``count`` (see
            :mod:`core.opcounts`): synaptic operations (NeuroBench's
            effective ACs: spikes times fan-out) and their dense count, neuron
            updates, plasticity updates, normalisation, encoding draws,
            readout, memory words, and the spike counts. Price it with
            :func:`core.energy.price`.
        """
        check_fitted(self, "agents_")
        inference = None
        if X is not None:
            X = self._validate_X(X, reset=False)
            counts, totals = self.agents_.respond([X])
            inference = OpCounter(1)
            inference.update(totals["counts"])
            inference.update(self.agents_.readout_score_counts(counts, None))
        return cost_table(self.agents_.train_counts, inference)

    # -- saving and loading -------------------------------------------------
    _archive_noun = "network"
    _fitted_attribute = "agents_"

    # A failed fit leaves the previous model (core.learner.atomic_fit): fit starts new
    # agents, partial_fit trains the current ones in place (weights, thresholds, readout
    # statistics, counters, random generators), so their state is copied first.

    def _snapshot(self):
        if not hasattr(self, "agents_"):
            return None
        return self.agents_.snapshot(), list(self.history_)

    def _rollback(self, snapshot) -> None:
        agents, history = snapshot
        self.agents_ = self.agents_.restored(agents)
        self.history_[:] = history

    def _full_state(self):
        """The parameters (Brian2 quantities with their units; a rule instance
        as its registered name and parameters), the configuration the network
        was built with (every neuron constant and rule parameter, defaults
        included, so a later change of a default does not change a saved
        model), the learned input weights and thresholds, the readout
        statistics, every random generator's state, the evaluation seed,
        ``classes_``, ``history_`` and the synaptic-operation counters:
        :func:`snn.load` returns an estimator that predicts the same and
        continues ``partial_fit`` as this one would."""
        arrays, meta = agents_full_state(self.agents_)
        if hasattr(self, "classes_"):
            arrays["classes_"] = self.classes_
        fitted = {
            "n_features_in": self.n_features_in_,
            "history": self.history_,
            "partial_fit_rng": hasattr(self, "_rng"),
        }
        if hasattr(self, "_single_output"):
            fitted["single_output"] = self._single_output
        meta["params"] = to_jsonable(
            self.get_params(deep=False), custom=encode_rule, where="params"
        )
        meta["fitted"] = to_jsonable(fitted, where="fitted")
        return arrays, meta

    @classmethod
    def _from_full_state(cls, arrays, meta):
        params = from_jsonable(meta["params"], custom=RULE_DECODERS)
        fitted = from_jsonable(meta["fitted"])
        estimator = cls(**params)
        classes = arrays.pop("classes_", None)
        estimator.agents_ = agents = agents_from_full_state(arrays, meta)
        estimator.n_features_in_ = fitted["n_features_in"]
        estimator.history_ = fitted["history"]
        if fitted["partial_fit_rng"]:
            estimator._rng = agents.rngs[0]  # the same object, as after partial_fit
        if "single_output" in fitted:
            estimator._single_output = fitted["single_output"]
        if classes is not None:
            estimator.classes_ = classes
        return estimator

    def _expected_failed_checks(self) -> dict[str, str]:
        """scikit-learn estimator checks this estimator cannot pass, with the reason.

        For ``parametrize_with_checks(..., expected_failed_checks=...)`` /
        ``check_estimator``: the inputs are firing rates, so ``X`` must lie in
        [0, 1], and most checks draw data outside it; a sample's response
        depends on its position among the samples predicted together; times
        are Brian2 quantities, which scikit-learn does not count as a
        parameter type.
        """
        rates = (
            "the inputs are firing rates: X must lie in [0, 1] (scale features first), "
            "and this check's data does not"
        )
        out_of_range = [
            "check_dict_unchanged",
            "check_dont_overwrite_parameters",
            "check_estimators_dtypes",
            "check_estimators_fit_returns_self",
            "check_estimators_overwrite_params",
            "check_estimators_partial_fit_n_features",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_fit2d_1feature",
            "check_fit2d_1sample",
            "check_fit2d_predict1d",
            "check_fit_check_is_fitted",
            "check_fit_idempotent",
            "check_n_features_in",
            "check_n_features_in_after_fitting",
            "check_pipeline_consistency",
            "check_positive_only_tag_during_fit",
            "check_readonly_memmap_input",
            "check_requires_y_none",
        ]
        if self._regression:
            out_of_range += [
                "check_regressor_data_not_an_array",
                "check_regressor_multioutput",
                "check_regressors_int",
                "check_regressors_no_decision_function",
                "check_regressors_train",
            ]
        else:
            out_of_range += [
                "check_classifier_data_not_an_array",
                "check_classifiers_classes",
                "check_classifiers_regression_target",
                "check_classifiers_train",
                "check_decision_proba_consistency",
            ]
        failures = dict.fromkeys(out_of_range, rates)
        position = (
            "a prediction presents the samples one after another (Poisson input spikes drawn "
            "in sample order from a generator seeded afresh on each call), so a sample's "
            "response depends on its position; also " + rates
        )
        failures["check_methods_sample_order_invariance"] = position
        failures["check_methods_subset_invariance"] = position
        failures["check_parameters_default_constructible"] = (
            "times and rates are Brian2 quantities (350*ms), not a scikit-learn parameter type"
        )
        return failures


#: Tag of a plasticity rule in saved metadata.
RULE_TAG = "snn.PlasticityRule"


def encode_rule(value, with_defaults=False):
    """A rule instance as (tag, its registered name and constructor parameters); None otherwise.

    ``with_defaults``: all its parameters (``rule.params``), not only those
    given to its constructor.
    """
    if not isinstance(value, PlasticityRule):
        return None
    name = type(value).name
    if name is None or RULES.get(name) is not type(value):
        raise TypeError(
            f"the plasticity rule {value!r} is an instance of "
            f"{type(value).__qualname__}, which is not registered in snn.RULES; "
            "register it with @snn.register_rule(name) to save a model that uses it"
        )
    return RULE_TAG, {
        "name": name,
        "params": value.params if with_defaults else value.get_params(),
    }


def encode_rule_with_defaults(value):
    return encode_rule(value, with_defaults=True)


def decode_rule(payload):
    """The rule instance :func:`encode_rule` stored (its class must be registered)."""
    require_registered("rule", payload["name"], RULES)
    return RULES[payload["name"]](**payload["params"])


RULE_DECODERS = {RULE_TAG: decode_rule}


def agents_full_state(agents: SpikingAgents) -> tuple[dict, dict]:
    """Arrays and metadata of the agents of an estimator or a population."""
    arrays, agents_meta = agents.archive_state()
    # Every neuron constant and rule parameter as used, defaults included,
    # so that a loaded model behaves the same even if a default changes.
    config = {**vars(agents.config), "neuron_params": dict(agents.network.neuron_params)}
    return arrays, {
        "config": to_jsonable(config, custom=encode_rule_with_defaults, where="config"),
        "agents": to_jsonable(agents_meta, where="agents"),
    }


def agents_from_full_state(arrays: dict, meta: dict) -> SpikingAgents:
    """Rebuild what :func:`agents_full_state` stored (``StateMismatch`` if the arrays do not fit)."""
    config = EngineConfig(**from_jsonable(meta["config"], custom=RULE_DECODERS))
    try:
        return SpikingAgents.from_archive(config, arrays, from_jsonable(meta["agents"]))
    except ValueError as error:
        raise StateMismatch(error) from None


_PARAMETERS_DOC = """
    Parameters
    ----------
    n_neurons : int
        Excitatory neurons.
    rule : str or PlasticityRule
        A name in ``snn.RULES`` (the rule then gets the parameters in
        ``DIEHL_COOK_RULE_PARAMS``) or a rule instance used as it is.
    encoding : {"poisson", "latency"}
        Spike code of the inputs (``snn.ENCODERS``).
    readout : {"vote", "linear"}
        Diehl & Cook's label assignment, or ridge regression on spike counts.
    epochs : int
        Passes over the data in ``fit`` (``partial_fit`` makes one).
    presentation_time, rest_time, dt : Brian2 time
        Each sample is shown for ``presentation_time``, followed by
        ``rest_time`` of silence; ``dt`` is the simulation step.
    max_rate : Brian2 rate or "auto"
        Input rate of a feature (or receptive field) equal to 1 (Poisson
        code). "auto": 128 Hz for raw features, higher with receptive fields
        so that a sample brings ~2.5 kHz of input (see ``auto_max_rate``).
    inhibition : float
        Lateral inhibitory conductance per spike (units of the leak conductance).
    evaluation_inhibition : float or None
        Lateral inhibition while the network is frozen (readout pass and
        prediction); None keeps ``inhibition``. A weaker value lets several
        neurons respond to a sample (a graded population code, which the
        linear readout can interpolate) instead of mostly the winner.
    mean_input_weight : float
        Input weights into each neuron are normalised before each presentation
        to sum to ``mean_input_weight * n_inputs``.
    initial_weight : float
        Initial weights are uniform in ``[0, initial_weight * wmax]``.
    theta_plus : Brian2 voltage
        Threshold rise per spike while learning.
    tau_theta : Brian2 time
        Decay time constant of the threshold rise.
    receptive_fields : int or "auto"
        Gaussian receptive fields per feature (population coding, see
        :func:`snn.encoders.gaussian_receptive_fields`); 1 feeds the raw
        features. "auto": 1 from 32 features up, else ``min(8, ceil(64 /
        n_features))`` (XOR, iris and low-dimensional regression need it).
    plasticity_decay : float in (0, 1]
        Plasticity (learning rates and threshold adaptation) in epoch ``e`` of
        ``fit`` is ``plasticity_decay ** e`` (annealing).
    alpha : float
        Ridge penalty of the linear readout.
    backend : {"auto", "standalone", "runtime"}
        How the network is simulated: Brian2's runtime mode, or a compiled
        C++ program built once per network shape, cached on disk
        (``SNN_STANDALONE_CACHE``, default ``~/.cache/brain-vs-ann/standalone``)
        and reused by every later call of that shape, in this process and
        others. "auto" compiles once the work asked of a shape amounts to
        about a compilation's worth (a default ``fit`` on digits does; a short
        ``partial_fit`` does not) and runs built shapes compiled. Without a
        compiler, runtime mode with one warning. See :mod:`snn._standalone`.
    traces : {"synapse", "neuron"}
        Where the rule's traces live while learning: one copy per synapse, as
        the rule writes them, or -- for rules whose traces follow one
        neuron's spikes alone, such as "stdp" -- one per input channel and
        per neuron, linked into the synapses. The same learning up to
        floating-point rounding; "neuron" spends less arithmetic per input
        spike, which pays on large networks on the compiled backend (784 x
        400 synapses: 26 instead of 48 ms of CPU per learning presentation,
        bench/RESULTS.md) and costs on small ones in runtime mode (two more
        groups to update every time step). See
        :class:`snn.network.DiehlCookNetwork`.
    random_state : None, int or numpy Generator
        Seeds the initial weights and every input spike train.
    plasticity, threshold_adaptation, weight_normalisation, lateral_inhibition : bool
        Ablation switches, all True for Diehl & Cook's network. ``plasticity=
        False``: no learning at all -- the random initial weights (rescaled
        to the normalised sum if ``weight_normalisation``) are kept and only
        the readout is fitted, on a frozen pass. ``threshold_adaptation=
        False``: thresholds never rise (``theta_`` stays 0).
        ``weight_normalisation=False``: input weights are never rescaled.
        ``lateral_inhibition=False``: no inhibitory synapses between the
        excitatory neurons (``inhibition`` and ``evaluation_inhibition`` then
        have no effect).
    verbose : int, default=0
        0 trains silently; 1 shows the presentations done with elapsed and
        remaining time (a bar on a terminal, else a line every 30 s), updated
        about once a second from Brian2's run loop (:mod:`snn._progress`).
"""


class STDPClassifier(ClassifierMixin, _SpikingEstimator):
    __doc__ = (
        """Diehl & Cook spiking network classifier (unsupervised STDP + readout).

    ``fit`` trains ``epochs`` passes with plasticity on and then presents the
    training set once more, frozen, to fit the readout (Diehl & Cook's
    procedure) -- all in one Brian2 run. ``partial_fit`` makes one plastic
    pass and updates the readout statistics with its responses.
    """
        + _PARAMETERS_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray
    n_features_in_ : int
    history_ : list of dict
        Per epoch (or partial_fit call): ``epoch``, ``samples_seen``,
        ``wall_seconds`` (this epoch's), ``accuracy`` (in-sample accuracy of a
        readout fitted to that epoch's responses), ``spikes`` (excitatory),
        ``input_spikes``, ``mean_rate_hz``, ``operations`` (cumulative
        training operation counts by category, as ``cost()`` reports them).
    weights_, theta_ : ndarray
        Learned input weights and adaptive thresholds (volts).

    Examples
    --------
    >>> from tasks import load_task
    >>> task = load_task("xor")
    >>> clf = STDPClassifier(n_neurons=8, epochs=2, presentation_time=100*ms,
    ...                      rest_time=50*ms, random_state=0).fit(task.X_train, task.y_train)
    >>> clf.predict(task.X_test).shape
    (4,)

    References
    ----------
    Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition
    using spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99.
    """
    )

    _score_name = "accuracy"
    _archive_kind = "snn.STDPClassifier"

    def _encode_labels(self, y):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (n_samples,), got shape {y.shape}")
        known = np.isin(y, self.classes_)
        if not known.all():
            raise ValueError(
                f"y contains labels {np.unique(y[~known]).tolist()} not in "
                f"classes {self.classes_.tolist()}"
            )
        indices = np.searchsorted(self.classes_, y)
        return np.eye(len(self.classes_))[indices], indices

    @atomic_fit
    def fit(self, X, y):
        """Train ``epochs`` plastic passes, then fit the readout on a frozen pass."""
        params = validate_params(self._parameter_constraints, self.get_params(deep=False))
        X = self._validate_X(X, reset=True)
        y = check.check_class_labels(y)  # (before any network is built)
        check.check_same_length(len(X), y)
        rng = check_random_state(self.random_state)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_.tolist()}); a classifier needs at least 2"
            )
        self._start(X, (len(self.classes_), len(self.classes_)), rng)
        targets, labels = self._encode_labels(y)
        self._train(
            X, targets, labels, epochs=self._plastic_epochs(params["epochs"]), readout_pass=True
        )
        return self

    @atomic_fit
    def partial_fit(self, X, y, classes=None):
        """One plastic pass over (X, y); ``classes`` is required on the first call.

        The online variant, not ``fit`` in pieces: every call learns at full
        plasticity (``plasticity_decay`` is ``fit``'s schedule over its
        epochs, not applied across calls), and the readout *accumulates*
        statistics over calls, so after several calls it mixes responses of
        differently trained networks. To train on a data set as ``fit``
        does, call ``fit``; to fit the readout to the current network only,
        call :meth:`refit_readout` afterwards.
        """
        X, targets, labels = self._continued(X, y, classes, "partial_fit")
        self._train(X, targets, labels, epochs=self._plastic_epochs(1), readout_pass=False)
        return self

    @atomic_fit
    def continue_fit(self, X, y, epochs=None, classes=None):
        """Train on (X, y) as :meth:`fit` does, continuing from the current network.

        ``epochs`` plastic passes (default: the ``epochs`` parameter) with
        ``fit``'s plasticity annealing, restarted by each call, then a frozen
        pass whose responses are added to the readout's statistics. Unlike
        ``fit``, the weights, thresholds and readout statistics of earlier calls
        are kept (training task after task, as in continual learning); unlike
        :meth:`partial_fit`, every call runs ``fit``'s whole schedule.
        ``classes`` is required on the first call.
        """
        epochs = self.epochs if epochs is None else epochs
        epochs = check_param("epochs", epochs, self._parameter_constraints["epochs"])
        X, targets, labels = self._continued(X, y, classes, "continue_fit")
        self._train(X, targets, labels, epochs=self._plastic_epochs(epochs), readout_pass=True)
        return self

    def _continued(self, X, y, classes, method):
        """Checked (X, targets, labels) of a call that continues training; the first call
        builds the network for ``classes``."""
        first = not hasattr(self, "agents_")
        X = self._validate_X(X, reset=first)
        y = check.check_class_labels(y)  # (before any network is built)
        check.check_same_length(len(X), y)
        if first:
            if classes is None:
                raise ValueError(f"classes must be given on the first call to {method}")
            self.classes_ = np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(f"classes needs at least 2 labels, got {self.classes_.tolist()}")
            self._encode_labels(y)  # a label outside classes: refused before building the network
            self._rng = check_random_state(self.random_state)
            self._start(X, (len(self.classes_), len(self.classes_)), self._rng)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={list(classes)} differs from the classes of the first "
                f"call {self.classes_.tolist()}"
            )
        targets, labels = self._encode_labels(y)
        return X, targets, labels

    @atomic_fit
    def refit_readout(self, X, y):
        """Forget the readout's statistics and fit it on the current network's responses to (X, y).

        The network is frozen during the pass (weights and thresholds do not
        change); the pass is charged to training (``cost()``). After
        ``partial_fit`` calls, this gives the readout ``fit`` would give the
        same network.
        """
        X = self._validate_X(X, reset=False)
        y = check.check_class_labels(y)
        check.check_same_length(len(X), y)
        targets, _ = self._encode_labels(y)
        self.agents_.refit_readout([X], [targets])
        return self

    def decision_function(self, X):
        """Readout scores (n_samples, n_classes): mean assigned-neuron counts or ridge outputs."""
        counts = self._counts(X)
        return self.agents_.readout.scores(counts)[0]

    def predict_proba(self, X):
        """Class probabilities (rows sum to 1; normalised non-negative scores)."""
        counts = self._counts(X)
        return self.agents_.readout.predict_proba(counts)[0]

    def predict(self, X):
        """Most likely class per sample."""
        scores = self.decision_function(X)
        return self.classes_[scores.argmax(axis=1)]


class STDPRegressor(MultiOutputRegressor, RegressorMixin, _SpikingEstimator):
    __doc__ = (
        """Diehl & Cook spiking network with a ridge readout for real-valued targets.

    Same network and training as :class:`STDPClassifier`; the readout is
    ridge regression on the spike counts (``readout="linear"``, the only
    readout that predicts real values). Label-gated rules (``uses_reward``) need labels
    and are refused. Defaults differ from the classifier's where tuning on
    ``seed_regression`` said so (bench/RESULTS.md): faster threshold
    homeostasis (``theta_plus=0.5*mV``, ``tau_theta=10*s``), a weak
    ``evaluation_inhibition=1`` (a graded population code, which the ridge
    readout interpolates) and ``alpha=10``.
    """
        + _PARAMETERS_DOC.replace('readout : {"vote", "linear"}', 'readout : {"linear"}')
        + """
    Attributes
    ----------
    n_features_in_ : int
    history_ : list of dict
        As for :class:`STDPClassifier` with ``r2`` instead of ``accuracy``.

    Examples
    --------
    >>> from tasks import load_task
    >>> task = load_task("seed_regression")
    >>> reg = STDPRegressor(n_neurons=10, epochs=1, presentation_time=50*ms,
    ...                     rest_time=20*ms, random_state=0)
    >>> reg.fit(task.X_train[:20], task.y_train[:20]).predict(task.X_test[:3]).shape
    (3,)
    """
    )

    _regression = True
    _score_name = "r2"
    _archive_kind = "snn.STDPRegressor"

    __init__ = with_defaults(
        _SpikingEstimator.__init__,
        n_neurons=100,
        readout="linear",
        epochs=3,
        evaluation_inhibition=1.0,
        tau_theta=10 * second,
        plasticity_decay=1.0,
        alpha=10.0,
    )

    @staticmethod
    def _targets(X, y):
        y = np.asarray(y, dtype=float)
        if y.ndim not in (1, 2) or len(y) != len(X):
            raise ValueError(
                f"y must have shape (n_samples,) or (n_samples, n_targets) with "
                f"n_samples={len(X)}, got {y.shape}"
            )
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinite values")
        return y.reshape(len(y), -1)

    @atomic_fit
    def fit(self, X, y):
        """Train ``epochs`` plastic passes, then fit the ridge readout on a frozen pass."""
        params = validate_params(self._parameter_constraints, self.get_params(deep=False))
        X = self._validate_X(X, reset=True)
        targets = self._targets(X, y)
        rng = check_random_state(self.random_state)
        self._single_output = np.ndim(y) == 1
        self._start(X, (targets.shape[1], None), rng)
        self._train(
            X, targets, None, epochs=self._plastic_epochs(params["epochs"]), readout_pass=True
        )
        return self

    @atomic_fit
    def partial_fit(self, X, y):
        """One plastic pass over (X, y), updating the readout statistics.

        The online variant, not ``fit`` in pieces (see
        :meth:`STDPClassifier.partial_fit`); :meth:`refit_readout` fits the
        readout to the current network only.
        """
        first = not hasattr(self, "agents_")
        X = self._validate_X(X, reset=first)
        targets = self._targets(X, y)
        if first:
            self._rng = check_random_state(self.random_state)
            self._single_output = np.ndim(y) == 1
            self._start(X, (targets.shape[1], None), self._rng)
        elif targets.shape[1] != self.agents_.n_outputs:
            raise ValueError(
                f"y has {targets.shape[1]} targets, the first call had {self.agents_.n_outputs}"
            )
        self._train(X, targets, None, epochs=self._plastic_epochs(1), readout_pass=False)
        return self

    @atomic_fit
    def refit_readout(self, X, y):
        """Forget the readout's statistics and fit it on the current network's responses to (X, y)."""
        X = self._validate_X(X, reset=False)
        targets = self._targets(X, y)
        if targets.shape[1] != self.agents_.n_outputs:
            raise ValueError(
                f"y has {targets.shape[1]} targets, the network was fitted with "
                f"{self.agents_.n_outputs}"
            )
        self.agents_.refit_readout([X], [targets])
        return self

    def predict(self, X):
        """Ridge predictions from the spike counts."""
        counts = self._counts(X)
        predictions = self.agents_.readout.scores(counts)[0]
        return predictions[:, 0] if self._single_output else predictions
