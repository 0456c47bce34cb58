"""Checks that the reference's DDIM step is diffusers' DDIM step (eta 1, the same noise)
and that its log-probability is the Gaussian log-density meaned over the latent, so the
side-by-side times the same computation as the Swift trainer.

    bench/.venv/bin/python -m unittest discover -s bench -p 'test_*.py' -v
"""

import os
import unittest

import torch
from diffusers import DDIMScheduler

from reference import ddim_step

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "Fixtures", "tiny-sd1")


class DDIMStepTests(unittest.TestCase):
    def setUp(self):
        self.scheduler = DDIMScheduler.from_pretrained(FIXTURE, subfolder="scheduler")
        self.scheduler.set_timesteps(20)
        self.args = (self.scheduler.alphas_cumprod.float(), float(self.scheduler.final_alpha_cumprod),
                     self.scheduler.config.num_train_timesteps // 20, 1.0)

    def test_sample_matches_diffusers_at_every_step(self):
        g = torch.Generator().manual_seed(0)
        for t in self.scheduler.timesteps:  # 951 ... 1: the last step uses final_alpha_cumprod
            x, eps, noise = (torch.randn(1, 4, 8, 8, generator=g) for _ in range(3))
            expected = self.scheduler.step(eps, t, x, eta=1.0, variance_noise=noise).prev_sample
            prev, _ = ddim_step(eps, torch.tensor([int(t)]), x, *self.args, noise=noise)
            torch.testing.assert_close(prev, expected, rtol=1e-5, atol=1e-5)

    def test_per_sample_timesteps_and_log_prob(self):
        g = torch.Generator().manual_seed(1)
        t = torch.tensor([951, 501, 1])
        x, eps, noise = (torch.randn(3, 4, 8, 8, generator=g) for _ in range(3))
        prev, log_prob = ddim_step(eps, t, x, *self.args, noise=noise)
        for i in range(3):
            # Each row alone gives the same step as the batch.
            alone, alone_log_prob = ddim_step(eps[i:i + 1], t[i:i + 1], x[i:i + 1], *self.args, noise=noise[i:i + 1])
            torch.testing.assert_close(prev[i:i + 1], alone)
            torch.testing.assert_close(log_prob[i:i + 1], alone_log_prob)
        # Re-scoring the sampled x_{t-1} gives the same log-probability, which is
        # Normal(mean, sigma).log_prob meaned over the latent.
        _, rescored = ddim_step(eps, t, x, *self.args, prev=prev)
        torch.testing.assert_close(rescored, log_prob)
        mean, _ = ddim_step(eps, t, x, *self.args, noise=torch.zeros_like(noise))
        sigma = (prev - mean)[:, :1, :1, :1] / noise[:, :1, :1, :1]
        expected = torch.distributions.Normal(mean, sigma).log_prob(prev).mean(dim=(1, 2, 3))
        torch.testing.assert_close(log_prob, expected, rtol=1e-4, atol=1e-4)


if __name__ == "__main__":
    unittest.main()
