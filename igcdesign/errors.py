"""The one exception type that user-facing code turns into a one-line error and exit 2."""


class IGCError(ValueError):
    """Bad user input: a malformed spec, an invalid option, a budget too large to answer."""


class SpecError(IGCError):
    """A block spec that does not parse or does not describe a valid block."""
