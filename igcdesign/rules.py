"""Which blocks `widest`, `table` and `space` accept: the rule in force, named in their output.

- checked (the default): the blocks `igcdesign check` accepts, valid and strict or relaxed by
  their chain's path counts (igcdesign.verdicts);
- paper: the family's paper's own rule where it has one (IGCV3: C a multiple of G1·G2, equal
  super-channels); for the other families the same as checked.
"""

from __future__ import annotations

from typing import Any, Callable

from igcdesign.errors import IGCError, SpecError, shown
from igcdesign.families.base import Family

RULES = {
    "checked": "blocks `check` calls strict or relaxed",
    "paper": "each paper's own rule where it has one (IGCV3: C a multiple of G1·G2), else checked",
}
DEFAULT_RULE = "checked"


def check_rule(rule: str) -> str:
    name = str(rule).strip().lower()
    if name not in RULES:
        raise IGCError(f"unknown rule '{shown(rule)}' (choose from {', '.join(RULES)})")
    return name


def rule_text(family: Family, rule: str) -> str:
    """What the rule means for one family, in words."""
    if rule == "paper" and family.paper_rule_text:
        return f"paper: {family.paper_rule_text}"
    return "checked: strict or relaxed, as `check` says"


def acceptor(family: Family, rule: str) -> Callable[[dict[str, Any]], bool]:
    """accept(config) for one configuration (ints): valid, and accepted by the rule."""
    from igcdesign.verdicts import ACCEPTED, block_verdict

    use_paper = rule == "paper" and family.paper_rule_text is not None

    def accept(config: dict[str, Any]) -> bool:
        try:
            block = family.make(**config)
        except SpecError:
            return False
        if use_paper:
            return bool(family.paper_rule(block.config))
        return block_verdict(family, block.config).verdict in ACCEPTED

    return accept


def space_mask(family: Family, rule: str, config: dict[str, Any], verdicts: dict[str, Any]) -> Any:
    """Which rows of an enumerated space (valid configurations, as arrays) the rule accepts."""
    if rule == "paper" and family.paper_rule_text is not None:
        import numpy as np

        return np.asarray(family.paper_rule(config), dtype=bool)
    return verdicts["accepted"]
