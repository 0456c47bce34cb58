// Optimiser kernels: AdamW and gradient-norm clipping, as torch.optim computes them.
#include "shim.h"

#include <cmath>

using ctorch::get;
using ctorch::wrap;

extern "C" {

int tt_adamw_step(const tt_tensor *params, const tt_tensor *exp_avg, const tt_tensor *exp_avg_sq, int n,
                  int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay) {
  TT_STATUS(
    at::NoGradGuard no_grad;
    // Bias corrections in double precision, as Python floats are in torch.optim.
    const double bias_correction1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    const double bias_correction2 = 1.0 - std::pow(beta2, static_cast<double>(step));
    const double step_size = lr / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    for (int i = 0; i < n; i++) {
      at::Tensor p = get(params[i]);
      const at::Tensor &grad = p.grad();
      if (!grad.defined()) continue;
      at::Tensor m = get(exp_avg[i]);
      at::Tensor v = get(exp_avg_sq[i]);
      p.mul_(1.0 - lr * weight_decay);
      m.lerp_(grad, 1.0 - beta1);
      v.mul_(beta2).addcmul_(grad, grad, 1.0 - beta2);
      auto denom = (v.sqrt() / bias_correction2_sqrt).add_(eps);
      p.addcdiv_(m, denom, -step_size);
    })
}

int tt_clip_grad_norm(const tt_tensor *params, int n, double max_norm, double norm_type, double *total_norm) {
  TT_STATUS(
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> grads;
    for (int i = 0; i < n; i++) {
      const auto &g = get(params[i]).grad();
      if (g.defined()) grads.push_back(g);
    }
    if (grads.empty()) {
      *total_norm = 0.0;
      return TT_OK;
    }
    std::vector<at::Tensor> norms;
    for (const auto &g : grads) norms.push_back(at::linalg_vector_norm(g, norm_type));
    auto total = at::linalg_vector_norm(at::stack(norms), norm_type);
    auto coef = at::clamp(max_norm / (total + 1e-6), std::nullopt, 1.0);
    for (auto &g : grads) g.mul_(coef.to(g.device()));
    *total_norm = total.item<double>();)
}

}  // extern "C"
