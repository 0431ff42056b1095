"""`igcdesign net NETSPEC [NETSPEC ...]`: whole networks counted stage by stage, or side by side."""

from __future__ import annotations

from typing import List, Optional

import typer

from igcdesign.commands._options import JSON_OPTION, MAX_HW, MIN_TIME_OPTION, ROUNDS_OPTION, THREADS_OPTION, int_option

NETSPEC_HELP = (
    "Network spec: igcv1-cifar:L=4,M=8,D=20 | regular-cifar:C=16,D=20 | dwsep-cifar:C=35,D=20 | "
    "igcv2-cifar:C=64,K=8/16/32,D=20 | igcv3-imagenet:G1=2,G2=2[,alpha=,t=] | mobilenetv2[:alpha=,t=] | "
    "resnet18 | resnet50 | resnext50_32x4d | shufflenet_v1[:g=3] | shufflenet_v2[:w=1.0] | "
    "a .yaml/.json stage file. Several: side by side, ratios to the first. "
    "Bounds: D ≤ 4,097; at most 4,096 blocks and 65,536 convs in a network; a stage file is a regular "
    "file of at most 256 KiB with at most 256 stages, 4,096 repeats each, and 65,536 values once YAML "
    "aliases are expanded."
)


def net(
    specs: List[str] = typer.Argument(..., metavar="NETSPEC...", help=NETSPEC_HELP),
    classes: Optional[int] = int_option(None, "--classes", help="Classifier outputs (default: 10 for CIFAR, 1000 for ImageNet).", high=1 << 24),
    resolution: Optional[int] = int_option(None, "--resolution", help="Input side (default: 32 for CIFAR, 224 for ImageNet).", high=MAX_HW),
    bn: bool = typer.Option(False, "--bn", help="Count BN γ and β (2 per channel per BN layer)."),
    no_fc: bool = typer.Option(False, "--no-fc", help="Leave out the classifier (FC weights and bias)."),
    measure: bool = typer.Option(False, "--measure", help="Build each network in PyTorch and time it (needs torch)."),
    batch: List[str] = typer.Option(["1"], "--batch", help="Batch size(s) for --measure: repeat the option or give 1,32 [1–65,536, at most 64 sizes]."),
    device: str = typer.Option("cpu", "--device", help="Device for --measure: cpu, cuda or auto."),
    threads: Optional[int] = THREADS_OPTION,
    min_time: float = MIN_TIME_OPTION,
    rounds: int = ROUNDS_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Count a whole network (params, mult-adds, memory access per stage) or compare several."""
    from igcdesign.nets.compare import compare_documents
    from igcdesign.nets.counting import count_net
    from igcdesign.output import emit_json

    settings = None
    if measure:  # settings checked before any network is counted or built
        from igcdesign.probe.measure import settings_from_options

        settings = settings_from_options(32, batch, threads, min_time, rounds, device)
    counts = [count_net(s, classes=classes, resolution=resolution, bn=bn, fc=not no_fc) for s in specs]
    latencies = measurement = None
    if measure:
        from igcdesign.probe.measure import measure_nets
        from igcdesign.progress import Progress

        with Progress("measuring", delay=0, enabled=False if json_ else None) as progress:
            measurement, latencies = measure_nets(specs, settings, classes=classes, resolution=resolution, bn=bn,
                                                  fc=not no_fc, progress=progress)
    if len(counts) == 1:
        document = counts[0].as_dict()
        if latencies is not None:
            document["latency"] = latencies[0]
    else:
        document = compare_documents(counts, latencies)
    if measurement is not None:
        document["device"], document["measurement"] = measurement["device"], measurement
    if json_:
        emit_json(document)
        return
    from igcdesign.nets.render import render_compare, render_net

    if len(counts) == 1:
        render_net(document)
    else:
        render_compare(document, document.get("device"))
    if measurement is not None:
        from igcdesign.probe.render import print_measurement

        print_measurement(measurement)


def register(app: typer.Typer) -> None:
    app.command("net")(net)
