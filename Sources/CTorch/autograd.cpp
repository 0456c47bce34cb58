// Autograd: requires-grad flags, backward, gradients, grad mode.
#include "shim.h"

#include <torch/csrc/autograd/autograd.h>

using ctorch::get;
using ctorch::wrap;

extern "C" {

int tt_set_requires_grad(tt_tensor x, bool requires_grad) {
  TT_STATUS(
    // PyTorch's rule: only leaves may change the flag (a computed tensor would silently keep it).
    if (!get(x).is_leaf())
      throw std::invalid_argument("you can only change requires_grad flags of leaf variables; "
                                  "use detached() to cut a computed tensor from the graph");
    x->t.set_requires_grad(requires_grad);)
}
bool tt_requires_grad(tt_tensor x) { TT_GUARD(false, return get(x).requires_grad();) }
bool tt_is_leaf(tt_tensor x) { TT_GUARD(false, return get(x).is_leaf();) }
int tt_backward(tt_tensor x, tt_tensor grad, bool retain_graph) {
  TT_STATUS(get(x).backward(grad ? grad->t : at::Tensor(), retain_graph);)
}
tt_tensor tt_grad(tt_tensor x) { TT_TENSOR(get(x).grad()) }
int tt_set_grad(tt_tensor x, tt_tensor grad) {
  TT_STATUS(get(x); x->t.mutable_grad() = grad ? grad->t : at::Tensor();)
}
tt_tensor tt_detach(tt_tensor x) { TT_TENSOR(get(x).detach()) }
bool tt_grad_enabled(void) { return at::GradMode::is_enabled(); }
void tt_set_grad_enabled(bool enabled) { at::GradMode::set_enabled(enabled); }

int tt_autograd_grad(const tt_tensor *outputs, const tt_tensor *grad_outputs, int noutputs, const tt_tensor *inputs,
                     int ninputs, bool retain_graph, tt_tensor *out) {
  TT_STATUS(
    std::vector<at::Tensor> grads_out;
    for (int i = 0; i < noutputs; i++)
      grads_out.push_back(grad_outputs && grad_outputs[i] ? grad_outputs[i]->t : at::Tensor());
    auto grads = torch::autograd::grad(ctorch::tensors(outputs, noutputs), ctorch::tensors(inputs, ninputs),
                                       grads_out, retain_graph, /*create_graph=*/false, /*allow_unused=*/true);
    for (int i = 0; i < ninputs; i++) out[i] = wrap(grads[i]);)
}

}  // extern "C"
