"""The one exception type that user-facing code turns into a one-line error and exit 2."""

MAX_QUOTED = 100  # characters of the user's input an error message repeats


class IGCError(ValueError):
    """Bad user input: a malformed spec, an invalid option, a budget too large to answer."""


class SpecError(IGCError):
    """A block spec that does not parse or does not describe a valid block."""


def shown(text: object, limit: int = MAX_QUOTED) -> str:
    """User text as an error quotes it: whole up to `limit` characters, else its head, '…' and its length."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"
