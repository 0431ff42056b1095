"""The symbolic engine: family formulas from the chains, the papers' derivations, code generation.

Everything here imports sympy; nothing on the CLI's instant paths imports this package. The
numbers those paths need come from :mod:`igcdesign.formulas`, which
:mod:`igcdesign.symbolic.codegen` generates from these derivations.
"""
