"""Any chain: W = channels at each interface, G = groups per conv, k = kernel sides, P = gaps."""

from __future__ import annotations

from igcdesign.errors import SpecError
from igcdesign.families.base import Family, check_divides, make_chain
from igcdesign.spec import parse_int, parse_int_list


def parse_gaps(raw: str, n_gaps: int) -> tuple:
    """P: one token per gap or one for all. 's' interleave, 'i' identity, g a shuffle with g groups."""
    tokens = [t.strip() for t in raw.split("/")]
    parsed = []
    for token in tokens:
        if token in ("s", "i"):
            parsed.append(token)
        else:
            try:
                parsed.append(parse_int(token, "chain P"))
            except SpecError:
                raise SpecError(f"chain P: '{token}' is not s, i or a positive integer") from None
    if len(parsed) == 1:
        return tuple(parsed) * n_gaps
    if len(parsed) != n_gaps:
        raise SpecError(f"chain P: {len(parsed)} tokens for {n_gaps} gaps (give one per gap, or one for all)")
    return tuple(parsed)


class Chain(Family):
    name = "chain"
    summary = "any chain of group convs and permutations"
    list_keys = {"W": "/", "G": "/", "k": "/", "P": "/"}
    required = ("W", "G")
    defaults = {}

    def parse_list(self, key, raw):
        if key == "P":
            return raw  # resolved once the number of gaps is known
        return parse_int_list(raw, "/", f"chain {key}")

    def complete(self, config):
        W, G = config["W"], config["G"]
        n = len(G)
        if len(W) != n + 1:
            raise SpecError(f"chain: W lists {len(W)} widths for {n} convs (needs {n + 1})")
        k = config.get("k", (3,))
        if isinstance(k, int):
            k = (k,)
        if len(k) == 1:
            k = k + (1,) * (n - 1)
        elif len(k) != n:
            raise SpecError(f"chain k: {len(k)} kernel sides for {n} convs (give one per conv, or one for the first)")
        config["k"] = tuple(k)
        P = config.get("P", "s")
        config["P"] = parse_gaps(P, n - 1) if isinstance(P, str) else tuple(P)
        if len(config["P"]) != n - 1:
            raise SpecError(f"chain P: {len(config['P'])} tokens for {n - 1} gaps")

    def validate(self, config):
        W, G, P = config["W"], config["G"], config["P"]
        for i, g in enumerate(G):
            check_divides(g, W[i], f"chain conv {i + 1} input")
            check_divides(g, W[i + 1], f"chain conv {i + 1} output")
        for i, gap in enumerate(P):
            if not (gap in ("s", "i") or isinstance(gap, (int, tuple))) or isinstance(gap, bool):
                raise SpecError(f"chain gap {i + 1}: {gap!r} is not s, i, a shuffle group count or a permutation")
            if isinstance(gap, int) and gap <= 0:
                raise SpecError(f"chain gap {i + 1}: shuffle groups must be positive, got {gap}")
            if isinstance(gap, int):
                check_divides(gap, W[i + 1], f"chain P gap {i + 1} shuffle")
            elif isinstance(gap, tuple) and sorted(gap) != list(range(W[i + 1])):
                raise SpecError(f"chain gap {i + 1}: not a permutation of {W[i + 1]} channels")

    def chain(self, W, G, k, P, **_):
        return make_chain(list(W), list(G), list(k), list(P))

    def width(self, config):
        return config["W"][0]

    def spec(self, config):
        P = config["P"]
        tokens = ["p" if isinstance(t, tuple) else str(t) for t in P]
        if tokens and all(t == tokens[0] for t in tokens):
            tokens = tokens[:1]
        parts = [
            "W=" + "/".join(map(str, config["W"])),
            "G=" + "/".join(map(str, config["G"])),
            "k=" + "/".join(map(str, config["k"])),
        ]
        if tokens:
            parts.append("P=" + "/".join(tokens))
        return "chain:" + ",".join(parts)
