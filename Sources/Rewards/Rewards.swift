// The reward protocol, its registry and the built-in rewards (see ALGORITHM.md §3).
import Torch
