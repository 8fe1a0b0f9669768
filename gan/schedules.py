"""Learning-rate factors for `torch.optim.lr_scheduler.LambdaLR` (multiplicative, per step)."""

from __future__ import annotations

import math


class LinearDecay:
    """LR factor: 1 for the constant phase, then linear to ~0 at `total` steps (the GANs)."""

    def __init__(self, constant: int, total: int) -> None:
        self.constant, self.total = constant, total

    def __call__(self, step: int) -> float:
        """Multiplicative LR factor at `step`."""
        decay = max(1, self.total - self.constant + 1)
        return 1.0 - max(0, step - self.constant) / decay


class WarmupCosine:
    """LR factor: linear warm-up over the first 5 % of `total` steps (at least one), then a
    cosine from 1 to 0 at `total` (the measuring nets: content segmenter, crop classifier)."""

    def __init__(self, total: int) -> None:
        self.total, self.warmup = total, max(1, total // 20)

    def __call__(self, step: int) -> float:
        """Multiplicative LR factor at `step`."""
        if step < self.warmup:
            return (step + 1) / self.warmup
        span = max(1, self.total - self.warmup)
        return 0.5 * (1 + math.cos(math.pi * (step - self.warmup) / span))
