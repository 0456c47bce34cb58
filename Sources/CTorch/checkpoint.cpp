// Gradient checkpointing: a custom autograd Function whose forward runs a body (a
// callback from Swift) without recording, keeping only its inputs, and whose
// backward runs the body again with recording on and differentiates that re-run.
#include "shim.h"

#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstdlib>
#include <string>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The thread-local autocast settings of both device types, so the re-run in the
// backward computes in the dtypes the forward did (backward is usually called outside
// the forward's autocast scope, and may run on another thread).
struct AutocastState {
  bool cpu_enabled = false;
  at::ScalarType cpu_dtype = at::kBFloat16;
  bool cuda_enabled = false;
  at::ScalarType cuda_dtype = at::kHalf;
  bool cache_enabled = true;

  static AutocastState current() {
    AutocastState state;
    state.cpu_enabled = at::autocast::is_autocast_enabled(at::kCPU);
    state.cpu_dtype = at::autocast::get_autocast_dtype(at::kCPU);
    state.cuda_enabled = at::autocast::is_autocast_enabled(at::kCUDA);
    state.cuda_dtype = at::autocast::get_autocast_dtype(at::kCUDA);
    state.cache_enabled = at::autocast::is_autocast_cache_enabled();
    return state;
  }

  void apply() const {
    at::autocast::set_autocast_dtype(at::kCPU, cpu_dtype);
    at::autocast::set_autocast_enabled(at::kCPU, cpu_enabled);
    at::autocast::set_autocast_dtype(at::kCUDA, cuda_dtype);
    at::autocast::set_autocast_enabled(at::kCUDA, cuda_enabled);
    at::autocast::set_autocast_cache_enabled(cache_enabled);
  }
};

// Runs with `state` (its cast cache off) and restores the previous settings. The cache
// is off because autocast caches the casts of weights that require gradients: a cast
// made by the forward under no-grad would have no graph, and a later use of the weight
// in the same autocast scope would silently get no gradient. The cast values are the
// same either way.
class AutocastScope {
 public:
  explicit AutocastScope(AutocastState state) : previous_(AutocastState::current()) {
    state.cache_enabled = false;
    state.apply();
  }
  ~AutocastScope() { previous_.apply(); }
  AutocastScope(const AutocastScope &) = delete;
  AutocastScope &operator=(const AutocastScope &) = delete;

 private:
  AutocastState previous_;
};

// The body and its context: `release(context)` runs once, when the last holder (the
// graph node, or the call that failed) lets go.
struct Body : torch::CustomClassHolder {
  tt_checkpoint_body run;
  void *context;
  void (*release)(void *);
  AutocastState autocast;  // as the forward found it
  size_t input_count = 0;

  Body(tt_checkpoint_body run, void *context, void (*release)(void *))
      : run(run), context(context), release(release) {}
  ~Body() override {
    if (release != nullptr) release(context);
  }
  Body(const Body &) = delete;
  Body &operator=(const Body &) = delete;

  // Calls the body with new handles to `inputs` (it owns and frees them) and takes
  // ownership of the handles it returns.
  variable_list operator()(const variable_list &inputs) const {
    std::vector<tt_tensor> handles;
    handles.reserve(inputs.size());
    for (const auto &x : inputs) handles.push_back(ctorch::wrap(x));
    int count = -1;
    tt_tensor *returned = run(context, handles.data(), static_cast<int>(handles.size()), &count);
    if (returned == nullptr || count < 0) {
      std::free(returned);
      throw std::runtime_error("checkpointed: the body returned no outputs");
    }
    variable_list outputs;
    outputs.reserve(count);
    for (int i = 0; i < count; i++) {
      outputs.push_back(returned[i] ? std::move(returned[i]->t) : at::Tensor());
      delete returned[i];
    }
    std::free(returned);
    for (int i = 0; i < count; i++) {
      if (!outputs[i].defined())
        throw std::runtime_error("checkpointed: output " + std::to_string(i) +
                                 " of the body is undefined (an op inside it failed)");
    }
    return outputs;
  }
};

struct Checkpoint : torch::autograd::Function<Checkpoint> {
  // `inputs` are what the body reads; `parameters` the weights it uses that need
  // gradients, inputs of the node so that their gradients flow through it (to .grad in
  // backward(), or to torch::autograd::grad with respect to them). Non-tensor extras
  // live in the body's context.
  static variable_list forward(AutogradContext *ctx, at::TensorList inputs, at::TensorList parameters,
                               c10::intrusive_ptr<Body> body) {
    body->autocast = AutocastState::current();
    body->input_count = inputs.size();
    variable_list saved(inputs.begin(), inputs.end());
    saved.insert(saved.end(), parameters.begin(), parameters.end());
    ctx->save_for_backward(saved);
    // Outputs that get no gradient stay undefined (not zeros): the re-run leaves them out.
    ctx->set_materialize_grads(false);
    ctx->saved_data["body"] = at::IValue::make_capsule(body);
    at::NoGradGuard no_grad;
    AutocastScope autocast(body->autocast);
    return (*body)(variable_list(inputs.begin(), inputs.end()));
  }

  static variable_list backward(AutogradContext *ctx, variable_list grad_outputs) {
    // The engine runs a backward with grad mode on only for create_graph=True.
    TORCH_CHECK(!at::GradMode::is_enabled(),
                "checkpointed: differentiating twice (create_graph) is not supported");
    auto holder = ctx->saved_data["body"].toCapsule();  // keeps the body alive for this call
    const Body *body = static_cast<const Body *>(holder.get());
    // Checks that no saved input or parameter was modified in place since the forward.
    variable_list saved = ctx->get_saved_variables();
    const size_t input_count = body->input_count;

    // The inputs again, cut from the outer graph: the re-run's graph ends at them.
    variable_list inputs;
    variable_list targets;               // what the re-run is differentiated against
    std::vector<size_t> target_indices;  // their positions in `saved`
    for (size_t i = 0; i < input_count; i++) {
      at::Tensor x = saved[i].detach();
      if (saved[i].requires_grad()) {
        x.set_requires_grad(true);
        targets.push_back(x);
        target_indices.push_back(i);
      }
      inputs.push_back(std::move(x));
    }
    // The parameters themselves: the body reads them, not copies.
    for (size_t i = input_count; i < saved.size(); i++) {
      if (saved[i].requires_grad()) {
        targets.push_back(saved[i]);
        target_indices.push_back(i);
      }
    }

    variable_list outputs;
    {
      at::AutoGradMode grad_mode(true);
      AutocastScope autocast(body->autocast);
      outputs = (*body)(inputs);
    }
    TORCH_CHECK(outputs.size() == grad_outputs.size(), "checkpointed: the body returned ", outputs.size(),
                " outputs when re-run for the backward, ", grad_outputs.size(), " in the forward");

    variable_list differentiated;
    variable_list weights;
    for (size_t i = 0; i < outputs.size(); i++) {
      if (grad_outputs[i].defined() && outputs[i].requires_grad()) {
        differentiated.push_back(outputs[i]);
        weights.push_back(grad_outputs[i]);
      }
    }
    // One gradient per forward argument: the inputs, the parameters, then none for the body.
    variable_list gradients(saved.size() + 1);
    if (differentiated.empty() || targets.empty()) return gradients;
    // Backward ops run outside autocast, as the outer backward's do.
    auto computed = torch::autograd::grad(differentiated, targets, weights, /*retain_graph=*/false,
                                          /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t k = 0; k < target_indices.size(); k++) gradients[target_indices[k]] = computed[k];
    return gradients;
  }
};

}  // namespace

extern "C" {

int tt_checkpoint(tt_checkpoint_body body, void *context, void (*release)(void *context), const tt_tensor *inputs,
                  int ninputs, const tt_tensor *parameters, int nparameters, tt_tensor **outputs, int *noutputs) {
  TT_STATUS(
    // Holds the context from here on, so release runs exactly once whatever happens.
    auto holder = c10::make_intrusive<Body>(body, context, release);
    if (body == nullptr) throw std::invalid_argument("checkpointed: null body");
    if (outputs == nullptr || noutputs == nullptr) throw std::invalid_argument("checkpointed: null output pointer");
    auto in = ctorch::tensors(inputs, ninputs);
    auto weights = ctorch::tensors(parameters, nparameters);
    auto result = Checkpoint::apply(at::TensorList(in), at::TensorList(weights), std::move(holder));
    auto *out = static_cast<tt_tensor *>(std::malloc(sizeof(tt_tensor) * (result.size() + 1)));
    if (out == nullptr) throw std::bad_alloc();
    for (size_t i = 0; i < result.size(); i++) out[i] = ctorch::wrap(result[i]);
    *outputs = out;
    *noutputs = static_cast<int>(result.size());
  )
}

}  // extern "C"
