// Automatic mixed precision (autocast) state: thread-local in libtorch, per device type.
#include "shim.h"

#include <ATen/autocast_mode.h>

namespace {

at::DeviceType device_type(int device) { return device < 0 ? at::kCPU : at::kCUDA; }

}  // namespace

extern "C" {

bool tt_autocast_is_enabled(int device) { TT_GUARD(false, return at::autocast::is_autocast_enabled(device_type(device));) }

int tt_autocast_dtype(int device) {
  TT_GUARD(-1, return ctorch::dtype_code(at::autocast::get_autocast_dtype(device_type(device)));)
}

int tt_autocast_set(int device, bool enabled, int dtype) {
  TT_STATUS(
    at::autocast::set_autocast_dtype(device_type(device), ctorch::scalar_type(dtype));
    at::autocast::set_autocast_enabled(device_type(device), enabled);
  )
}

int tt_autocast_enter_scope(void) { TT_GUARD(-1, return at::autocast::increment_nesting();) }

int tt_autocast_exit_scope(void) {
  // Like torch.autocast's __exit__: the cast weights cached inside the outermost
  // scope are dropped when it ends, so they do not outlive an optimizer step.
  TT_GUARD(-1,
    int depth = at::autocast::decrement_nesting();
    if (depth == 0) at::autocast::clear_cache();
    return depth;
  )
}

}  // extern "C"
