"""Build the model a :class:`~igcdesign.probe.inspect.options.Target` names.

Importing a module runs its code, with this process's rights: only point `inspect` at code you
trust. Whatever that code prints goes to stderr (stdout stays one JSON document under --json);
whatever it raises, or a result that is not an ``nn.Module``, is one IGCError line.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from typing import Any

import torch
from torch import nn

from igcdesign.errors import IGCError, shown
from igcdesign.probe.inspect.options import Target


def _reason(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {shown(text, 200)}" if text else type(e).__name__


@contextlib.contextmanager
def user_code(what: str, quiet: bool = False):
    """Run user code with its prints on stderr; anything it raises (SystemExit too) becomes one
    IGCError line naming `what`. `quiet`: torch's tracers print the graph they failed on and log
    warnings; then what is printed is held back and shown only if the code succeeds, and torch's
    log says errors only."""
    import io
    import logging

    held = io.StringIO() if quiet else sys.stderr
    if quiet:
        logging.disable(logging.ERROR)  # every logger: torch sets levels on its own children
    try:
        with contextlib.redirect_stdout(held), (contextlib.redirect_stderr(held) if quiet else contextlib.nullcontext()):
            yield
    except IGCError:
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - user code may raise anything, SystemExit included
        raise IGCError(f"{what}: {_reason(e)}") from None
    else:
        if quiet and held.getvalue():  # the model's own prints, now that it traced
            sys.stderr.write(held.getvalue())
    finally:
        if quiet:
            logging.disable(logging.NOTSET)


def _import(target: Target):
    if target.module is not None:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())  # as `python -m` would: modules next to the user
        with user_code(f"cannot import {shown(target.module)}"):
            return importlib.import_module(target.module)
    path = os.path.abspath(target.path)
    name = "igcdesign_user_" + "".join(c if c.isalnum() else "_" for c in os.path.basename(path)[:-3])
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # as `python FILE` would: its siblings import
    with user_code(f"cannot import {shown(target.path)}"):
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise IGCError(f"cannot import {shown(target.path)}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module


def _attribute(module, dotted: str, target: Target):
    value: Any = module
    for part in dotted.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise IGCError(f"model {shown(target.text)}: no attribute '{shown(part)}'") from None
    return value


def build_model(target: Target) -> tuple[nn.Module, Any]:
    """(the model in eval mode, the ExportedProgram when it came from a .pt2 file, else None)."""
    if target.exported:
        with user_code(f"cannot load {shown(target.path)}"):
            program = torch.export.load(target.path)
            model = program.module()
        return model, program
    module = _import(target)
    factory = _attribute(module, target.attr, target)
    if not callable(factory):
        raise IGCError(f"model {shown(target.text)}: {type(factory).__name__} is not callable")
    with user_code(f"{shown(target.attr)}() raised"):
        model = factory()
    if not isinstance(model, nn.Module):
        raise IGCError(f"model {shown(target.text)}: {shown(target.attr)}() returned {type(model).__name__}, not a torch.nn.Module")
    with user_code(f"{shown(target.attr)}().eval() raised"):
        model.eval()
    return model, None


def example_shape(program) -> tuple[int, ...] | None:
    """The input shape an ExportedProgram was exported with (its one tensor input), or None."""
    shapes = []
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in program.graph_signature.user_inputs:
            value = node.meta.get("val")
            if isinstance(value, torch.Tensor):
                try:
                    shapes.append(tuple(int(s) for s in value.shape))
                except (TypeError, ValueError):  # a dynamic dimension
                    return None
    return shapes[0] if len(shapes) == 1 else None
