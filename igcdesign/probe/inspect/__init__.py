"""`igcdesign inspect`: a PyTorch model in, its blocks as chain specs out.

The model is traced with torch.fx (``symbolic_trace``, then shape propagation on fake tensors);
where fx cannot trace it (Python control flow on tensor values or shapes), with ``torch.export``.
Its graph is then cut into **blocks**: maximal linear runs of convolutions and channel
permutations. Inside a run, batch norm, activations and dropout are transparent (they act on each
channel alone); a value used twice (a branch), an op with two data inputs (a merge: add, cat of
two tensors), pooling, a flatten before the classifier or any other op ends the run.

Channel permutations are recovered, not recognised: every op that only moves elements (view,
reshape, transpose, permute, flatten, contiguous, index_select, chunk/split, cat, narrowing
indexing, …) is "shape-only"; the shape-only ops that hang off one value are run on a tensor
holding each element's own index, and where their result has the input's shape with whole
channels moved, that is the permutation (a shuffle when it equals one, an explicit permutation
otherwise). A permutation between a merge and a branch (ShuffleNet V2's shuffle after its concat)
belongs to no block: it is reported alone, with its memory access.

Modules: :mod:`.options` (the target and --input, torch-free), :mod:`.source` (importing and
building the model), :mod:`.trace` (fx / export), :mod:`.ops` (what each graph node is),
:mod:`.segment` (runs and permutations), :mod:`.report` (counts, verdicts, totals),
:mod:`.render` (text, torch-free). This ``__init__`` imports nothing.
"""
