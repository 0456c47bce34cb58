// Loads libtorch's CUDA half (libtorch_cuda.so) at run time, so one ddpo binary,
// linked only against libtorch_cpu and c10, runs on the CPU or on a GPU depending on
// the torch install it finds. docs/gpu.md has the whole story.
//
// Why dlopen and not a link-time -ltorch_cuda: nothing in the shim references a
// symbol of libtorch_cuda (CUDA kernels and hooks register themselves from its static
// initializers), so the linker's --as-needed drops the library unless it is wrapped in
// --no-as-needed, and then CUDA is silently absent. Linking it also ties the binary to
// a CUDA install. Loading it ourselves works the same with any torch folder.
//
// Why at start and not when "cuda" is first requested: ATen creates its CUDA hooks
// once, on the first CUDA query (at::hasCUDA, at::manual_seed, ...). If that query
// comes before libtorch_cuda.so is loaded, ATen keeps the CPU-only stub for good.
// A static initializer in the executable runs after libtorch_cpu's own and before
// main, which is the same order `import torch` gives Python.
#include "shim.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>

namespace {

struct CUDALoad {
  bool loaded = false;
  std::string message;  // why it is not loaded (empty once loaded)
};

// The folder libtorch_cpu.so was loaded from, or "" when it is not found.
int find_torch_cpu(struct dl_phdr_info *info, size_t, void *data) {
  static const std::string suffix = "/libtorch_cpu.so";
  const std::string name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    *static_cast<std::string *>(data) = name.substr(0, name.size() - suffix.size());
    return 1;
  }
  return 0;
}

CUDALoad load_cuda() {
  CUDALoad result;
  std::string folder;
  dl_iterate_phdr(find_torch_cpu, &folder);
  if (folder.empty()) {
    result.message = "could not find the folder libtorch_cpu.so was loaded from";
    return result;
  }
  const std::string path = folder + "/libtorch_cuda.so";
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    // A CPU-only torch install: the common case on a CPU machine, and cheap.
    result.message = path + " does not exist (this torch install has no CUDA support)";
    return result;
  }
  // RTLD_GLOBAL: torch later dlopens libtorch_cuda_linalg.so, which resolves
  // symbols of libtorch_cuda against the global scope.
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
    const char *error = dlerror();
    result.message = "dlopen(" + path + ") failed: " + (error != nullptr ? error : "unknown error");
    return result;
  }
  result.loaded = true;
  return result;
}

const CUDALoad &cuda_load() {
  static const CUDALoad state = load_cuda();
  return state;
}

// Runs the load before main (see the comment at the top).
[[maybe_unused]] const bool loaded_at_start = cuda_load().loaded;

}  // namespace

namespace ctorch {

void require_cuda() {
  const CUDALoad &state = cuda_load();
  if (!state.loaded) throw std::runtime_error("CUDA support is not loaded: " + state.message);
}

}  // namespace ctorch

extern "C" {

bool tt_cuda_loaded(void) { return cuda_load().loaded; }
const char *tt_cuda_load_error(void) { return cuda_load().message.c_str(); }

}  // extern "C"
