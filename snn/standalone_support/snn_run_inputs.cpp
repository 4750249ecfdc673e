// See snn_run_inputs.h.
#include "snn_run_inputs.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "network.h"
#include "objects.h"

namespace {

int64_t n_windows = 0;
int64_t n_columns = 1;
int64_t last_step = 0;
double window_seconds = 1.0;
std::vector<double> plastic_rows;
std::vector<double> label_rows;

void fail(const std::string &message) {
    std::cerr << "snn_run_inputs: " << message << std::endl;
    std::exit(3);
}

template <class T>
void read_file(const std::string &name, std::vector<T> &values, int64_t count) {
    const std::string path = brian::results_dir + name;
    std::ifstream file(path.c_str(), std::ios::in | std::ios::binary | std::ios::ate);
    if (!file.is_open())
        fail("cannot open " + path);
    const std::streampos size = file.tellg();
    if (size != static_cast<std::streampos>(count * sizeof(T)))
        fail(path + " has the wrong size");
    values.resize(count);
    file.seekg(0, std::ios::beg);
    if (count > 0)
        file.read(reinterpret_cast<char *>(&values[0]), count * sizeof(T));
    if (file.fail())
        fail("cannot read " + path);
}

// The window containing time t, as Brian2's TimedArray computes it: a floor
// that tolerates t falling a rounding error short of a window start.
inline int64_t window_of(double t) {
    int64_t window = static_cast<int64_t>(t / window_seconds + 1e-3);
    if (window < 0)
        window = 0;
    if (window >= n_windows)
        window = n_windows - 1;
    return window;
}

}  // namespace

void snn_load_run_inputs() {
    const std::string header_path = brian::results_dir + "snn_run_header.txt";
    std::ifstream header(header_path.c_str());
    int64_t n_spikes = 0;
    if (!(header >> n_windows >> n_columns >> last_step >> window_seconds >> n_spikes))
        fail("cannot read " + header_path);
    if (n_windows < 1 || n_columns < 1 || last_step < 1 || window_seconds <= 0 || n_spikes < 0)
        fail("bad values in " + header_path);
    read_file("snn_plastic.bin", plastic_rows, n_windows * n_columns);
    read_file("snn_label.bin", label_rows, n_windows * n_columns);
    read_file("snn_spike_indices.bin", brian::_dynamic_array_snn_inputs_neuron_index, n_spikes);
    read_file("snn_spike_steps.bin", brian::_dynamic_array_snn_inputs__timebins, n_spikes);
    brian::_array_snn_inputs__lastindex[0] = 0;
}

double snn_plastic_schedule(double t, int32_t agent) {
    return plastic_rows[window_of(t) * n_columns + agent];
}

double snn_label_schedule(double t, int32_t agent) {
    return label_rows[window_of(t) * n_columns + agent];
}

int32_t snn_stop_after(int64_t step) {
    if (step + 1 >= last_step)
        Network::_globally_stopped = true;
    return 0;
}

int32_t snn_lateral_inhibition(int32_t n_neurons) {
    const int32_t n_cells = static_cast<int32_t>(brian::_num__array_snn_excitatory_gi);
    const int32_t *spikes = brian::_array_snn_excitatory__spikespace;
    const int32_t n_spikes = spikes[n_cells];
    double *gi = brian::_array_snn_excitatory_gi;
    const double *inhibition = brian::_array_snn_excitatory_inhibition;
    for (int32_t k = 0; k < n_spikes; k++) {
        const int32_t source = spikes[k];
        const double amount = inhibition[source];
        const int32_t first = source - source % n_neurons;
        for (int32_t target = first; target < first + n_neurons; target++) {
            if (target != source)
                gi[target] += amount;
        }
    }
    return 0;
}
