"""What every block family provides: keys, validation, and its chain.

A family's `chain()` is plain arithmetic on its configuration, so the same method builds the
layers of a concrete block (ints), of a design space (numpy arrays) and of the family's
symbolic formula (sympy symbols). Validation of concrete values lives apart, in `validate()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from igcdesign.constraints import Constraints
from igcdesign.errors import SpecError, shown
from igcdesign.families.block import Block
from igcdesign.layers import GroupConv, Permute, chain_params, is_identity_shuffle
from igcdesign.spec import parse_int, parse_int_list

MAX_STRIDE = 1 << 16  # the largest map side (`--hw`); a stride past the map it meets is refused by the walk

MAX_CHANNELS = 10**18  # per layer: far beyond any real block, small enough for exact, printable counts
Gap = Any  # 's' (interleave), 'i' (identity), an int g (shuffle with g groups) or a tuple permutation


def make_chain(
    widths: Sequence[Any],
    groups: Sequence[Any],
    kernels: Sequence[Any],
    gaps: Sequence[Gap],
    names: Sequence[str] | None = None,
    tail: Gap | None = None,
    strides: Sequence[int] | None = None,
) -> tuple:
    """Convs widths[i] → widths[i+1] with groups[i], kernels[i] and strides[i] (default 1), a
    permutation in each gap.

    `tail`, when given, is a permutation after the last conv (IGCV1's permute-back). Shuffles
    that are decidably the identity (g = 1 or g = C) move no data and are left out.
    """
    layers: list = []
    n = len(groups)
    for i in range(n):
        name = names[i] if names else f"conv {i + 1}"
        stride = strides[i] if strides else 1
        layers.append(GroupConv(widths[i], widths[i + 1], groups[i], kernels[i], stride, name=name))
        gap = gaps[i] if i < n - 1 else tail
        if gap is None or gap == "i":
            continue
        width = widths[i + 1]
        if isinstance(gap, tuple):
            layers.append(Permute(width, perm=gap, name="permutation"))
            continue
        g = groups[i] if gap == "s" else gap
        if not is_identity_shuffle(width, g):
            label = "interleave" if gap == "s" else f"shuffle ({g} groups)"
            if i == n - 1:
                label = "permute back"
            layers.append(Permute(width, g, name=label))
    return tuple(layers)


def with_stride_at(chain: tuple, conv_index: int, stride: int) -> tuple:
    """The chain with `stride` on its conv number `conv_index` (0-based, among its convs)."""
    if stride == 1:
        return tuple(chain)
    import dataclasses

    at = [i for i, layer in enumerate(chain) if isinstance(layer, GroupConv)][conv_index]
    return tuple(dataclasses.replace(layer, stride=stride) if i == at else layer for i, layer in enumerate(chain))


def stride_suffix(config: dict[str, Any]) -> str:
    """',s=N' for a strided block; nothing at stride 1 (canonical specs omit s=1)."""
    s = config.get("s", 1)
    return f",s={s}" if s != 1 else ""


def check_stride(value: int, what: str) -> int:
    if value > MAX_STRIDE:
        raise SpecError(f"{what}: stride {value:,} is larger than any map (at most {MAX_STRIDE:,})")
    return value


def _positive_int(value: Any, what: str) -> int:
    """value as a plain int (numpy integers included) if it is a positive integer, else SpecError."""
    if isinstance(value, bool) or not hasattr(value, "__index__") or value.__index__() <= 0:
        raise SpecError(f"{what}: must be a positive integer, got {value!r}")
    return value.__index__()


def check_divides(groups: int, channels: int, what: str) -> None:
    if channels % groups:
        raise SpecError(f"{what}: {groups} groups do not divide {channels} channels")


@dataclass(frozen=True)
class DesignOptions:
    """The family options that `widest`, `table` and `space` take (each family reads its own)."""

    expansion: int = 6  # IGCV3's t
    g1: int = 2  # IGCV3's G1 (widest)
    g2: int = 2  # IGCV3's G2 (widest)
    groups: tuple[int, ...] = (1, 2, 4, 8)  # table: IGCV3's G1 and G2 values, ShuffleNet's g values
    expansions: tuple[int, ...] = ()  # widest: the values of t IGCV3 ranges over (empty: expansion)
    g1s: tuple[int, ...] = ()  # widest: IGCV3's G1 values (empty: g1)
    g2s: tuple[int, ...] = ()  # widest: IGCV3's G2 values (empty: g2)
    constraints: Constraints = Constraints()  # widest: practical constraints (igcdesign.constraints)

    def igcv3_settings(self) -> list[tuple[int, int, int]]:
        """Every (t, G1, G2) IGCV3's widest search ranges over."""
        return [(t, a, b) for t in self.expansions or (self.expansion,)
                for a in self.g1s or (self.g1,) for b in self.g2s or (self.g2,)]


Accept = Callable[[dict], bool]  # does the rule in force accept this configuration?


class Family:
    """A block family: `name:key=value,...` with the keys below.

    Besides its chain, a family module holds everything particular to it: its widest search
    (`widest_config`, `near_configs`, `bound`), its width-table rows (`table_part`), the axes of
    its design space (`space_axes`), its symbols and derivation (`symbolic_config`,
    `derivation`, `formulas`). `supports` names which of `widest`, `table`, `space` and
    `derive` it takes part in; the commands list families from the registry by it.
    """

    name: str = ""
    summary: str = ""
    int_keys: tuple[str, ...] = ()
    list_keys: dict[str, str] = {}  # key → separator
    required: tuple[str, ...] = ()
    defaults: dict[str, Any] = {"k": 3}
    supports: frozenset[str] = frozenset()
    table_title: str = ""  # how width tables name the family
    widest_by_default: bool = False  # one of the rows `widest` shows when no --family is given
    paper_rule_text: str | None = None  # the paper's own rule on widths, when stricter than check's
    stride_conv: int | None = 0  # which conv `s=` strides (0-based among the chain's convs); None: the family reads s itself

    # --- what the theory of the family needs --------------------------------------
    def params(self, **config: Any) -> Any:
        """Weights of a configuration (ints, numpy arrays or symbols): the chain's count."""
        return chain_params(self.chain(**config))

    def named_widths(self, chain: Sequence) -> dict[str, Any]:
        """Internal widths the family's notation names (IGCV3's C_int), read off its chain."""
        return {}

    def verdict_representative(self, config: dict[str, Any]) -> dict[str, Any]:
        """A configuration whose chain has the same verdict class (balanced, redundant or sparse).

        The identity unless a family states an equivalence (IGCV2: only the depth and which
        branch sizes are 1 matter); tests check every family's claim against analyze().
        """
        return config

    def paper_rule(self, config: dict[str, Any]) -> Any:
        """Whether the paper's own rule accepts a valid configuration (ints or arrays)."""
        return True

    def display_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The configuration as `widest` shows it (no kernel side, no stride 1)."""
        return {key: value for key, value in config.items() if key != "k" and not (key == "s" and value == 1)}

    # --- widest --------------------------------------------------------------------
    def widest_config(self, budget: int, k: int, options: DesignOptions, accept: Accept) -> dict | None:
        """The widest accepted configuration within budget (ties: fewer params, then fewer
        layers and groups), or None."""
        raise NotImplementedError

    def near_configs(self, budget: int, k: int, best: dict, floor_width: int, limit: int,
                     options: DesignOptions, accept: Accept) -> list[dict]:
        """Up to `limit` accepted configurations within budget of width ≥ floor_width, widest first."""
        raise NotImplementedError

    def smallest_config(self, k: int, options: DesignOptions) -> dict:
        """The configuration of the family's smallest block (what a too-small budget needs)."""
        raise NotImplementedError

    def smallest_configs(self, k: int, options: DesignOptions) -> list[dict]:
        """The smallest configurations of every setting the search ranges over (IGCV3: each
        (t, G1, G2)); by default the one smallest_config."""
        return [self.smallest_config(k, options)]

    def bound(self, budget: int, k: int, options: DesignOptions) -> dict:
        """The continuous optimum the paper derives: {"width": …, and where it lies}."""
        raise NotImplementedError

    # --- drop-in replacements (igcdesign.replacement) ----------------------------------
    def same_width_configs(self, cin: int, cout: int, k: int, max_params: int) -> Iterator[dict]:
        """Every valid configuration mapping cin → cout channels with a k×k spatial conv whose
        block has at most max_params weights (none by default: the family offers no drop-in).
        Configurations may still be ones `check` refuses: replacement keeps the accepted."""
        return iter(())

    # --- table and space -------------------------------------------------------------
    def table_part(self, budget: int, k: int, tolerance: float, options: DesignOptions,
                   accept: Accept) -> dict:
        """The family's part of a width table: {"rows": [config + family columns], "columns",
        "bound", "extra"}; tables.py adds the counts, verdicts and the widest mark."""
        raise NotImplementedError

    space_max_budget: int = 0
    space_columns: tuple[str, ...] = ()

    def space_axes(self, budget: int, k: int, options: DesignOptions, channelwise: bool,
                   progress: Any = None) -> list[tuple[dict, Any]]:
        """Every valid configuration whose block may fit, as numpy arrays: [(config, width)]."""
        raise NotImplementedError

    def space_family_columns(self, config: dict, n: int) -> dict[str, Any]:
        """The family's own columns of a space (besides counts, verdicts and named widths)."""
        return {key: config[key] for key in self.space_columns if key in config}

    def space_specs(self, frame: Any, k: int, options: DesignOptions) -> Any:
        """The canonical spec text of every row of a space frame (as `spec()` writes one)."""
        raise NotImplementedError

    # --- symbols ---------------------------------------------------------------------
    def symbolic_config(self) -> dict[str, Any]:
        """The configuration with every value a sympy symbol (imports sympy)."""
        raise NotImplementedError

    def derivation(self):
        """The paper's results derived by sympy from the chain (`derive`), or None."""
        return None

    def formulas(self) -> list:
        """The functions codegen writes into igcdesign/formulas.py for this family."""
        return []

    # --- parsing -----------------------------------------------------------------
    def parse(self, items: dict[str, str]) -> dict[str, Any]:
        """Raw key → value strings into a validated configuration."""
        known = set(self.int_keys) | set(self.list_keys) | {"s"}
        config: dict[str, Any] = {}
        for key, raw in items.items():
            if key not in known:
                raise SpecError(
                    f"unknown key '{shown(key)}' for {self.name} (known: {', '.join(sorted(known))})"
                )
            if key in self.list_keys:
                config[key] = self.parse_list(key, raw)
            else:
                config[key] = parse_int(raw, f"{self.name} {key}")
        if self.stride_conv is not None:
            config["s"] = check_stride(config.get("s", 1), f"{self.name} s")
        missing = [k for k in self.required if k not in config]
        if missing:
            raise SpecError(f"{self.name} needs {', '.join(missing)}")
        for key, value in self.defaults.items():
            config.setdefault(key, value)
        self.complete(config)
        self.validate(config)
        return config

    def parse_list(self, key: str, raw: str) -> tuple:
        return parse_int_list(raw, self.list_keys[key], f"{self.name} {key}")

    def check_values(self, config: dict[str, Any]) -> None:
        """Every value a positive int (or a tuple of them), as a parsed spec would hold."""
        for key, value in list(config.items()):
            if key in self.list_keys and key not in ("P", "tail"):  # gap tokens, not integers
                values = (value,) if isinstance(value, int) else value
                if not isinstance(values, (tuple, list)) or not values:
                    raise SpecError(f"{self.name} {key}: expected positive integers, got {value!r}")
                config[key] = tuple(_positive_int(v, f"{self.name} {key}") for v in values)
            elif key in self.int_keys or key in self.defaults:
                config[key] = _positive_int(value, f"{self.name} {key}")
            elif key == "s" and self.stride_conv is not None:
                config[key] = check_stride(_positive_int(value, f"{self.name} s"), f"{self.name} s")
            elif key not in self.list_keys:
                raise SpecError(f"unknown key '{shown(key)}' for {self.name}")

    def complete(self, config: dict[str, Any]) -> None:
        """Fill in values that default to others (e.g. C = ∏K)."""

    def validate(self, config: dict[str, Any]) -> None:
        """Raise SpecError if the concrete configuration is not a valid block."""

    # --- structure ---------------------------------------------------------------
    def chain(self, **config: Any) -> tuple:
        raise NotImplementedError

    def width(self, config: dict[str, Any]) -> Any:
        return config["C"]

    def spec(self, config: dict[str, Any]) -> str:
        """The canonical spec string of a configuration."""
        parts = []
        for key in (*self.int_keys, *self.list_keys):
            if key in config and config[key] is not None:
                value = config[key]
                if isinstance(value, tuple):
                    value = self.list_keys[key].join(str(v) for v in value)
                parts.append(f"{key}={value}")
        return f"{self.name}:{','.join(parts)}{stride_suffix(config)}"

    def block(self, config: dict[str, Any]) -> Block:
        chain = self.chain(**config)
        if self.stride_conv is not None:
            chain = with_stride_at(chain, self.stride_conv, config.get("s", 1))
        for layer in chain:
            for channels in (layer.cin, layer.cout) if isinstance(layer, GroupConv) else (layer.width,):
                if channels > MAX_CHANNELS:
                    digits = int(channels.bit_length() * 0.30103) + 1
                    raise SpecError(
                        f"{self.name}: a layer would have a {digits}-digit number of channels "
                        f"(at most {MAX_CHANNELS:.0e} per layer)"
                    )
        return Block(
            family=self.name,
            config=dict(config),
            chain=chain,
            width=self.width(config),
            spec=self.spec(config),
        )

    def make(self, **values: Any) -> Block:
        """A block from keyword values (ints), validated as a parsed spec would be."""
        config = {k: v for k, v in values.items() if v is not None}
        for key, value in self.defaults.items():
            config.setdefault(key, value)
        if self.stride_conv is not None:
            config.setdefault("s", 1)
        self.check_values(config)
        self.complete(config)
        self.validate(config)
        return self.block(config)
