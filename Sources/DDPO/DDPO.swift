// DDPO: trajectory sampling, advantages, policy-gradient objectives, the trainer (ALGORITHM.md §2).
import Torch
