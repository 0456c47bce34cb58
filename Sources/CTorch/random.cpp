// Random generators: seeds, explicit generators, state save/restore.
#include "shim.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

using ctorch::get;
using ctorch::wrap;

extern "C" {

void tt_manual_seed(uint64_t seed) {
  try {
    at::manual_seed(seed);
  } catch (...) {
    ctorch::set_error("manual_seed failed");
  }
}

tt_generator tt_generator_new(uint64_t seed, int device) {
  TT_GUARD(nullptr,
    if (device < 0) return new tt_generator_s{at::make_generator<at::CPUGeneratorImpl>(seed)};
    // A fresh generator of the device's type, seeded: clone the default one and reseed it.
    auto g = at::globalContext().defaultGenerator(ctorch::device(device)).clone();
    {
      std::lock_guard<std::mutex> lock(g.mutex());
      g.set_current_seed(seed);
    }
    return new tt_generator_s{g};)
}

tt_generator tt_generator_default(int device) {
  TT_GUARD(nullptr, return new tt_generator_s{at::globalContext().defaultGenerator(ctorch::device(device))};)
}

void tt_generator_free(tt_generator g) { delete g; }

int tt_generator_set_seed(tt_generator g, uint64_t seed) {
  TT_STATUS(
    if (!g) throw std::invalid_argument("null generator handle");
    std::lock_guard<std::mutex> lock(g->g.mutex());
    g->g.set_current_seed(seed);)
}

tt_tensor tt_generator_get_state(tt_generator g) {
  TT_GUARD(nullptr,
    if (!g) throw std::invalid_argument("null generator handle");
    std::lock_guard<std::mutex> lock(g->g.mutex());
    return wrap(g->g.get_state());)
}

int tt_generator_set_state(tt_generator g, tt_tensor state) {
  TT_STATUS(
    if (!g) throw std::invalid_argument("null generator handle");
    std::lock_guard<std::mutex> lock(g->g.mutex());
    g->g.set_state(get(state));)
}

}  // extern "C"
