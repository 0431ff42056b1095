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
