// Per-run inputs of the compiled Diehl & Cook network (see snn/_standalone.py).
//
// A compiled network is reused for every call of its shape: what changes from
// call to call -- the input spikes, the per-window schedules and the number
// of windows to simulate -- is read from files in the run's results directory
// rather than compiled in.
#ifndef SNN_RUN_INPUTS_H
#define SNN_RUN_INPUTS_H

#include <stdint.h>

// Read snn_run_header.txt and the .bin files of brian::results_dir; called in
// main() right before the network runs (exits with status 3 on a bad file).
void snn_load_run_inputs();

// Value of the plasticity / label schedule in the window containing t, for agent.
double snn_plastic_schedule(double t, int32_t agent);
double snn_label_schedule(double t, int32_t agent);

// Ends the run after time step `step` when it is the run's last one; returns 0.
int32_t snn_stop_after(int64_t step);

// Lateral inhibition of the time step's excitatory spikes: every spiking
// neuron's `inhibition` is added to `gi` of each other neuron of its agent
// (neurons agent * n_neurons ... agent * n_neurons + n_neurons - 1), spikes
// taken in the order of the spike space (ascending), targets ascending: the
// additions, in the order, of Brian2's code for all-to-all Synapses with
// on_pre "gi_post += inhibition_pre" (see snn.network.brian_objects), without
// the n_neurons**2 synapses per agent. Returns 0.
int32_t snn_lateral_inhibition(int32_t n_neurons);

#endif
