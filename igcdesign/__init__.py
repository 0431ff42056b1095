"""igcdesign: exact design-space answers for interleaved group convolution networks.

The package keeps one description of every block, a *chain* of group convolutions and
channel permutations (:mod:`igcdesign.layers`). Counting, symbolic derivation,
connectivity checks and the PyTorch probe all read that chain.
"""

__version__ = "0.1.0"
