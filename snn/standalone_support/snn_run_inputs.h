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

#endif
