"""igcify's options, checked before any model is imported (no torch here)."""

from __future__ import annotations

from igcdesign.errors import IGCError, shown

FAMILY_CHOICES = ("igcv1", "igcv2", "igcv3", "auto")
AUTO_FAMILIES = ("igcv1", "igcv2", "igcv3")
BY_CHOICES = ("width", "latency")


def parse_family(family: str) -> tuple[str, ...]:
    """The families igcify chooses from: one, or for auto igcv1, igcv2 and igcv3."""
    name = str(family).strip().lower()
    if name not in FAMILY_CHOICES:
        raise IGCError(f"--family '{shown(family)}' is not one of {', '.join(FAMILY_CHOICES)}")
    return AUTO_FAMILIES if name == "auto" else (name,)


def parse_max_params(text) -> float:
    """'same' → 1.0 (each block within its conv's weights); 'N%' → N/100 of them, 0 < N ≤ 100."""
    raw = str(text).strip().lower()
    if raw == "same":
        return 1.0
    if raw.endswith("%"):
        try:
            value = float(raw[:-1])
        except ValueError:
            value = float("nan")
        if 0 < value <= 100:
            return value / 100
    raise IGCError(f"--max-params '{shown(text)}': give same or a share of each conv's weights such as 50%")


def parse_by(by: str) -> str:
    name = str(by).strip().lower()
    if name not in BY_CHOICES:
        raise IGCError(f"--by '{shown(by)}' is not one of {', '.join(BY_CHOICES)}")
    return name


def check_options(family: str, max_params, by: str) -> None:
    parse_family(family)
    parse_max_params(max_params)
    parse_by(by)
