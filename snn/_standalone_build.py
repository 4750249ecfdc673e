"""Build one compiled Diehl & Cook program (run as ``python -m snn._standalone_build``).

Usage: ``python -m snn._standalone_build NETWORK_PICKLE DIRECTORY KEY``. Runs in a
process of its own because Brian2's standalone device is process-global
state. Generates the network of the pickled :class:`snn.network.DiehlCookNetwork`
(written there by :func:`snn._standalone.ensure_built`) with schedule
functions and run controls implemented in ``snn_run_inputs.cpp``, compiles it
in ``DIRECTORY`` and writes ``manifest.partial.json``: the sizes and types of
the run arguments and the file names of the outputs. See :mod:`snn._standalone`.
"""

from __future__ import annotations

import json
import os
import pickle
import sys

import numpy as np


def _compiled_function(name, arg_units, arg_types, return_unit, return_type):
    """A Brian2 Function implemented by ``snn_run_inputs.cpp`` (C++ only)."""
    from brian2 import Function

    function = Function(
        None,
        arg_units=arg_units,
        arg_names=[f"arg{k}" for k in range(len(arg_units))],
        arg_types=arg_types,
        return_unit=return_unit,
        return_type=return_type,
        stateless=False,
    )
    function.implementations.add_implementation(
        "cpp",
        code="// defined in snn_run_inputs.cpp\n",
        name=name,
        compiler_kwds={"headers": ['"snn_run_inputs.h"'], "sources": ["snn_run_inputs.cpp"]},
    )
    return function


def _outputs_then_exit(device, groups):
    """C++ that writes the variables of ``OUTPUTS`` as Brian2 would, then exits the program.

    The files are those Brian2's ``_write_arrays`` writes for these variables
    (names from the device, same layout: 1-D arrays whole, a 2-D dynamic
    array row by row).
    """
    from brian2.core.variables import DynamicArrayVariable

    from snn._standalone import OUTPUTS

    lines = ["{", "using namespace brian;"]
    for k, (owner, variable) in enumerate(OUTPUTS.values()):
        var = groups[owner].variables[variable]
        stream = f"snn_output_{k}"
        lines.append(
            f'std::ofstream {stream}(results_dir + "{device.get_array_filename(var)}", '
            "std::ios::binary | std::ios::out);"
        )
        if isinstance(var, DynamicArrayVariable) and var.ndim == 2:
            array = device.get_array_name(var, access_data=False)
            lines.append(
                f"for (int n = 0; n < {array}.n; n++) if (!{array}(n).empty()) "
                f"{stream}.write(reinterpret_cast<char*>(&{array}(n, 0)), "
                f"{array}.m * sizeof({array}(0, 0)));"
            )
        elif isinstance(var, DynamicArrayVariable):
            array = device.get_array_name(var, access_data=False)
            lines.append(
                f"if (!{array}.empty()) {stream}.write(reinterpret_cast<char*>(&{array}[0]), "
                f"{array}.size() * sizeof({array}[0]));"
            )
        else:
            array = device.get_array_name(var)
            lines.append(
                f"{stream}.write(reinterpret_cast<char*>({array}), "
                f"{var.size} * sizeof({array}[0]));"
            )
        lines.append(
            f"{stream}.close(); if ({stream}.fail()) {{ std::cerr << "
            f'"cannot write the output {owner}.{variable}" << std::endl; return 4; }}'
        )
    lines += ["}", "std::cout.flush();", "std::_Exit(0);"]
    return "\n".join(lines)


def build(network, directory):
    from brian2 import NeuronGroup, device, prefs, second, set_device

    from snn._standalone import BUILD_FORMAT, OUTPUTS, RUN_ARGUMENTS

    set_device("cpp_standalone", build_on_run=False, directory=None)
    prefs.devices.cpp_standalone.openmp_threads = int(os.environ.get("SNN_STANDALONE_THREADS", 0))
    prefs.devices.cpp_standalone.extra_make_args_unix = ["-j", str(os.cpu_count() or 1)]
    schedules = {
        "plastic_schedule": _compiled_function(
            "snn_plastic_schedule", [second, 1], ["float", "integer"], 1, "float"
        ),
        "label_schedule": _compiled_function(
            "snn_label_schedule", [second, 1], ["float", "integer"], 1, "float"
        ),
    }
    # One placeholder spike: the program reads the real spikes at every run.
    # Lateral inhibition is compiled code rather than synapses (below).
    objects = network.brian_objects(schedules, np.array([0]), np.array([0]), lateral_synapses=False)
    step_clock, _ = objects["clocks"]
    control = NeuronGroup(
        1,
        "stop_flag : integer (shared)\nlateral_flag : integer (shared)",
        namespace={
            "snn_stop_after": _compiled_function("snn_stop_after", [1], ["integer"], 1, "integer"),
            "snn_lateral_inhibition": _compiled_function(
                "snn_lateral_inhibition", [1], ["integer"], 1, "integer"
            ),
            "snn_neurons_per_agent": network.n_neurons,
        },
        clock=step_clock,
        name="snn_run_control",
    )
    if network.has_lateral_inhibition:
        # In the synapses slot, where Brian2 runs the runtime path's lateral
        # Synapses (nothing else there reads or writes gi).
        control.run_regularly(
            "lateral_flag = snn_lateral_inhibition(snn_neurons_per_agent)",
            clock=step_clock,
            when="synapses",
            order=0,
            name="snn_lateral_inhibition",
        )
    control.run_regularly(
        "stop_flag = snn_stop_after(timestep(t, dt))",
        clock=step_clock,
        when="end",
        order=1000,
        name="snn_run_stop",
    )
    objects["network"].add(control)
    device.insert_code("before_network_run", "void snn_load_run_inputs();\nsnn_load_run_inputs();")
    # The longest run whose time steps an int32 spike-step counter can hold;
    # every run stops after its own last step.
    max_windows = (2**31 - 2) // network.window_steps
    objects["network"].run(max_windows * network.window_steps * network.dt, namespace={})
    groups = {obj.name: obj for obj in objects["network"].objects}
    # Write the outputs the caller reads and end there: Brian2's own end of
    # the program writes every array (synapse indices, delays, spikes read
    # in: tens of MB per run) and frees them one by one.
    device.insert_code("before_end", _outputs_then_exit(device, groups))
    device.build(directory=directory, compile=True, run=False, with_output=False)

    def describe(owner, variable):
        var = groups[owner].variables[variable]
        return {"file": device.get_array_filename(var), "dtype": np.dtype(var.dtype).str}

    n_cells = network.n_agents * network.n_neurons
    sizes = {name: n_cells for name in RUN_ARGUMENTS}
    sizes["weights"] = n_cells * network.n_inputs
    manifest = {
        "format": BUILD_FORMAT,
        "max_steps": max_windows * network.window_steps,
        "inputs": {
            name: {**describe(owner, variable), "size": sizes[name]}
            for name, (owner, variable) in RUN_ARGUMENTS.items()
        },
        "outputs": {name: describe(owner, variable) for name, (owner, variable) in OUTPUTS.items()},
    }
    with open(os.path.join(directory, "manifest.partial.json"), "w") as handle:
        json.dump(manifest, handle, indent=1)


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: python -m snn._standalone_build NETWORK_PICKLE DIRECTORY KEY")
    from snn._standalone import build_key

    with open(argv[1], "rb") as handle:
        network = pickle.load(handle)
    # This process generates the code from the package's sources as they are
    # on disk now; a build for a key computed from other sources (edited since
    # the requesting process imported them) would be cached under a key that
    # does not describe it.
    key = build_key(network)
    if key != argv[3]:
        sys.exit(
            f"the build was requested for key {argv[3]}, but the package's sources give "
            f"key {key} in this process (were they changed since the requesting process "
            "started?); nothing was built"
        )
    build(network, argv[2])


if __name__ == "__main__":
    main(sys.argv)
