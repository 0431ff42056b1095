"""PyTorch side of igcdesign: real modules built from chains, and their measured latency.

torch is an optional extra (``pip install 'igcdesign[probe]'``) and is imported only inside this
package. Import the submodules you need (``igcdesign.probe.modules``, ``igcdesign.probe.measure``);
this ``__init__`` stays light so that ``import igcdesign.probe`` never imports torch.
"""

INSTALL_HINT = "the probe needs PyTorch: pip install 'igcdesign[probe]' (torch==2.13.0)"


def require_torch():
    """Import torch, or raise IGCError with one line on how to install the extra."""
    from igcdesign.errors import IGCError

    try:
        import torch
    except ImportError:
        raise IGCError(INSTALL_HINT) from None
    return torch


IMPLEMENTATIONS = ("plain", "fast")  # igcdesign.probe.fast builds both; 'fast' is the default
DEFAULT_IMPL = "fast"


def parse_impls(text) -> tuple[str, ...]:
    """'fast', 'plain' or 'plain,fast' (or a sequence of names) → the implementations to run, in
    order, without repeats; IGCError (one line) otherwise. Needs no torch."""
    from igcdesign.errors import IGCError

    parts = str(text).split(",") if isinstance(text, str) else [str(t) for t in text]
    names: list[str] = []
    for part in parts:
        name = part.strip().lower()
        if name not in IMPLEMENTATIONS:
            raise IGCError(f"--impl: '{part.strip()[:40]}' is not one of {', '.join(IMPLEMENTATIONS)}")
        if name not in names:
            names.append(name)
    if not names:
        raise IGCError("--impl: give plain, fast or plain,fast")
    return tuple(names)
