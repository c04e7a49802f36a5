"""How agent calls sample, defined once for the solve pipeline and the build.

Two kinds of call: greedy (the solve's first candidate, planner, test writer, every build
call: the answer a rerun reproduces) and drawn (the solve's confirm/explore samples and
sampled repairs). A drawn call uses the config's `sample_temperature` and the sampler knobs
below, whose defaults are Qwen2.5-Coder's own generation settings (top_p 0.8, top_k 20,
repetition 1.05); `sample_temperature` is the knob to tune on mbpp-dev.
"""

from __future__ import annotations

from typing import Protocol

from serving.base import Sampling

GREEDY_TEMPERATURE = 0.0
SAMPLE_TEMPERATURE = 0.7
SAMPLE_TOP_P = 0.8
SAMPLE_TOP_K = 20
SAMPLE_REPEAT_PENALTY = 1.05


class SamplerKnobs(Protocol):
    """What a config needs for drawn calls (SolveConfig has these fields)."""

    sample_top_p: float
    sample_top_k: int
    sample_repeat_penalty: float


def sample_settings(config: SamplerKnobs) -> Sampling:
    """The sampler knobs for drawn (non-greedy) candidates and repairs."""
    return Sampling(top_p=config.sample_top_p, top_k=config.sample_top_k,
                    repeat_penalty=config.sample_repeat_penalty)
