"""Hostile input through the CLI as a user calls it: one stderr line and exit 2, never a traceback.

Each test names the input that crashed, hung or misread before (issue 9 §3). Exit 1 is
`check`'s verdict, so no failure may end with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def one_line_error(result) -> str:
    """The single 'igcdesign: error:' line of a result that must have exit code 2."""
    assert result.exit_code == 2, (result.exit_code, result.stdout[-500:], result.stderr[-500:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igcdesign: error: "), result.stderr[-2000:]
    return lines[0]


def run_process(*args: str, stdout=subprocess.PIPE, env: dict | None = None, timeout: float = 60, **kw):
    """`python -m igcdesign ARGS` in a child process (for file descriptors, signals, environment)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "igcdesign", *args], stdout=stdout, stderr=subprocess.PIPE,
                          env=environment, timeout=timeout, **kw)


# --- integer options: exactly what spec values accept -------------------------------------------

@pytest.mark.parametrize("value", ["3_0", "٣", "３", "+3", " -3", "3.0", "0x3", "1e1", "²"])
def test_kernel_option_takes_ascii_digits_only(cli, value):
    line = one_line_error(cli("widest", "-p", "1e4", "-k", value, "--json"))
    assert "--kernel" in line


def test_integer_option_accepts_plain_digits(cli):
    assert cli("count", "igcv1:L=4,M=8", "--hw", "016", "--json").json()["hw"] == 16


@pytest.mark.parametrize("args", [
    ("count", "igcv1:L=4,M=8", "--hw", "３２"),
    ("space", "-f", "igcv1", "-p", "1e4", "-t", "99999999999999999999"),
    ("space", "-f", "igcv1", "-p", "1e4", "--multiple-of", "99999999999999999999"),
    ("space", "-f", "igcv1", "-p", "1e4", "--min-width", "1" + "0" * 5000),
    ("widest", "-p", "1e4", "--g1", "٢"),
    ("net", "regular-cifar:C=16,D=20", "--classes", "1_0"),
    ("table", "-p", "4672", "-t", "1" * 30),
])
def test_integer_options_refuse_other_digits_and_huge_values(cli, args):
    one_line_error(cli(*args))


def test_integer_option_bounds_are_in_help(cli):
    text = cli("space", "--help").stdout
    assert "[1–65,536]" in text and "[1–1,024]" in text


def test_min_filter_value_is_digits(cli):
    assert "--min M" in one_line_error(cli("space", "-f", "igcv1", "-p", "1e4", "--min", "M=²"))


@pytest.mark.parametrize("flag", ["--batch"])
def test_batch_list_takes_ascii_digits_only(cli, flag):
    one_line_error(cli("widest", "-p", "1e4", "--measure", flag, "1,٣"))


def test_groups_list_is_bounded(cli):
    groups = ",".join(str(g) for g in range(1, 1001))
    line = one_line_error(cli("table", "-f", "igcv3", "-p", "1e6", "--groups", groups))
    assert "at most 32" in line
    assert "at most 32 values" in cli("table", "--help").stdout


# --- errors quote at most about 100 characters of the input --------------------------------------

def test_long_spec_is_quoted_short(cli):
    spec = "igcv1:L=4,M=" + "x" * 120_000
    line = one_line_error(cli("count", spec))
    assert len(line) < 300 and "characters)" in line


def test_spec_length_is_bounded_before_work(cli):
    spec = "igcv2:K=" + "x".join(["1"] + ["9"] * 30_000)
    line = one_line_error(cli("count", spec))
    assert "longer than 16,384 characters" in line and len(line) < 300


def test_branch_count_is_bounded(cli):
    spec = "igcv2:K=" + "x".join(["1"] * 2000)
    assert "at most 1,024" in one_line_error(cli("count", spec))


# --- output errors -----------------------------------------------------------------------------

def test_stdout_full_is_one_line():
    r = run_process("count", "igcv1:L=4,M=8", "--json", stdout=open("/dev/full", "w"))
    assert r.returncode == 2 and r.stderr.decode().count("\n") == 1
    assert "No space left" in r.stderr.decode()


def test_stdout_closed_is_one_line():
    r = run_process("check", "igcv1:L=4,M=8", stdout=subprocess.DEVNULL, close_fds=True,
                    preexec_fn=lambda: os.close(1))
    assert r.returncode == 2 and r.stderr.decode().startswith("igcdesign: error:")
    assert r.stderr.decode().count("\n") == 1


def test_broken_pipe_of_check_is_not_a_verdict():
    """A reader that goes away is not 'not complementary' (exit 1)."""
    p = subprocess.Popen([sys.executable, "-m", "igcdesign", "check", "chain:W=8/8/8,G=8/8"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    p.stdout.close()  # the reader is gone before the first write
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 2 and err == ""  # silent, as a reader that left expects


def test_bogus_matplotlib_backend_is_moot(tmp_path):
    out = tmp_path / "w.png"
    r = run_process("plot", "width-vs-params", "--max-params", "1e4", "-o", str(out), env={"MPLBACKEND": "bogus"})
    assert r.returncode == 0, r.stderr.decode()
    assert out.stat().st_size > 0


def test_unexpected_failure_in_check_exits_2_not_1(cli, monkeypatch):
    """A crash inside `check` (here: a bug simulated in the checker) never reads as the verdict 1."""
    import igcdesign.connectivity as connectivity

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(connectivity, "analyze", broken)
    line = one_line_error(cli("check", "chain:W=8/8/8,G=8/8"))
    assert "simulated bug" in line


def test_deep_recursion_is_one_line(cli, monkeypatch):
    import igcdesign.connectivity as connectivity

    def deep(*args, **kwargs):
        return deep()

    monkeypatch.setattr(connectivity, "analyze", deep)
    assert "nested too deeply" in one_line_error(cli("check", "igcv1:L=4,M=8"))


# --- user text is printed verbatim, never as rich markup ---------------------------------------

def test_plot_out_name_with_brackets_is_printed_verbatim(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli("plot", "width-vs-params", "--max-params", "1e4", "-o", "fig[old].png")
    assert r.exit_code == 0 and r.stdout.strip() == "wrote fig[old].png"
    assert (tmp_path / "fig[old].png").is_file()


@pytest.mark.parametrize("name", ["[/x].csv", "[bold red]x[/].csv", "a[/].json"])
def test_space_out_name_with_markup_is_printed_verbatim(cli, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)  # '[/x].csv' is x].csv in folder '['
    r = cli("space", "-f", "igcv1", "-p", "1e4", "--top", "2", "-o", name)
    assert r.exit_code == 0, r.stderr
    assert name in r.stdout.replace("\n", "")


# --- networks and stage files: every size bounded before work ----------------------------------

def test_network_depth_is_bounded(cli):
    line = one_line_error(cli("net", "regular-cifar:C=16,D=999999999999998", "--json"))
    assert "at most 4,096 blocks" in line


def test_largest_accepted_depth_counts(cli):
    doc = cli("net", "regular-cifar:C=1,D=4097", "--json").json()
    # 3 stages of 1365 blocks; closed form: stem 3·1·9 + per stage B·w²·9 with the down-sampling
    # blocks w/2·w·9, + FC 4·10 + 10 (widths 1, 2, 4)
    B = 1365
    convs = 3 * 1 * 9 + (B * 1 * 9) + (2 * 1 * 9 + (B - 1) * 4 * 9) + (4 * 2 * 9 + (B - 1) * 16 * 9)
    assert doc["params"] == convs + 4 * 10 + 10


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_yaml_alias_bomb_is_refused_cheaply(cli, tmp_path):
    text = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8)
    ) + "stages: [{block: 'igcv1:L=4,M=8'}]\n"
    assert "aliases are expanded" in one_line_error(cli("net", write(tmp_path, "lol.yaml", text)))


def test_yaml_aliases_of_stages_count_as_stages(cli, tmp_path):
    text = "stages:\n  - &s {block: 'igcv1:L=4,M=8', repeats: 4096}\n" + "  - *s\n" * 1999
    assert "2,000 stages, at most 256" in one_line_error(cli("net", write(tmp_path, "s.yaml", text)))


def test_stage_file_bytes_are_bounded(cli, tmp_path):
    text = "stages:\n" + "  - {block: 'igcv1:L=4,M=8'}\n" * 20_000
    assert "larger than 262,144" in one_line_error(cli("net", write(tmp_path, "big.yaml", text)))


def test_total_blocks_are_bounded(cli, tmp_path):
    text = "stem: {width: 32}\nstages:\n" + "  - {block: 'igcv1:L=4,M=8', repeats: 4096}\n" * 2
    assert "more than 4,096 blocks" in one_line_error(cli("net", write(tmp_path, "b.yaml", text)))


def test_total_convs_are_bounded(cli, tmp_path):
    chain = "chain:W=" + "/".join(["8"] * 1001) + ",G=" + "/".join(["8"] * 1000)
    text = f"in_channels: 8\nstages:\n  - {{block: '{chain}', repeats: 100}}\n"
    assert "more than 65,536 convs" in one_line_error(cli("net", write(tmp_path, "c.yaml", text)))


@pytest.mark.parametrize("suffix,text", [
    (".yaml", "stages: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    (".json", '{"stages": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    (".yaml", "stages: [{block: 'igcv1:L=4,M=8', repeats: " + "1" * 5000 + "}]\n"),
    (".json", '{"stages": [{"block": "igcv1:L=4,M=8", "repeats": ' + "1" * 5000 + "}]}"),
    (".yaml", "stages: &x [*x]\n"),
    (".json", '{"stages": [{"block": "igcv1:L=4,M=8", "repeats": NaN}]}'),
])
def test_hostile_stage_files_are_one_line(cli, tmp_path, suffix, text):
    one_line_error(cli("net", write(tmp_path, "n" + suffix, text)))


@pytest.mark.parametrize("special", ["fifo", "folder"])
def test_stage_file_must_be_regular(cli, tmp_path, special):
    path = tmp_path / "n.yaml"
    os.mkfifo(path) if special == "fifo" else path.mkdir()
    assert "not a regular file" in one_line_error(cli("net", str(path)))


def test_stage_contradicting_igcv1_width_names_the_stage(cli, tmp_path):
    path = write(tmp_path, "n.yaml", "stem: {width: 64}\nstages: [{block: 'igcv1:L=4,M=2', width: 64}]\n")
    line = one_line_error(cli("net", path))
    assert "stage 1" in line and "igcv1:L=4,M=2" in line and "64" in line


def test_stage_contradicting_igcv3_input_names_the_stage(cli, tmp_path):
    path = write(tmp_path, "n.yaml", "stem: {width: 32}\nstages:\n  - {block: 'igcv1:L=4,M=8'}\n  - {block: 'igcv3:C=128'}\n")
    line = one_line_error(cli("net", path))
    assert "stage 2" in line and "C=128" in line and "32" in line


def test_stage_agreeing_with_its_spec_is_built(cli, tmp_path):
    path = write(tmp_path, "n.yaml", "stem: {width: 32}\nstages: [{block: 'igcv1:L=4,M=8', width: 32}, {block: 'igcv3:C=32', width: 64}]\n")
    assert cli("net", path, "--json").exit_code == 0


def test_stage_file_name_with_markup_is_printed_verbatim(cli, tmp_path):
    path = write(tmp_path, "n.yaml", "name: '[bold red]mine[/]'\nstem: {width: 32}\nstages: [{block: 'igcv1:L=4,M=8'}]\n")
    r = cli("net", path)
    assert r.exit_code == 0 and "[bold red]mine[/]" in r.stdout


# --- perm files --------------------------------------------------------------------------------

def test_perm_file_dev_zero_is_refused_without_reading(cli):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    assert "not a regular file" in one_line_error(cli("check", "chain:W=8/8/8,G=2/2", "--perm-file", "/dev/zero"))


def test_perm_file_fifo_does_not_block():
    """A FIFO nobody writes to would block a plain open() forever; the child must answer."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        fifo = os.path.join(folder, "p.json")
        os.mkfifo(fifo)
        r = run_process("check", "chain:W=8/8/8,G=2/2", "--perm-file", fifo, timeout=60)
    assert r.returncode == 2 and "not a regular file" in r.stderr.decode()


@pytest.mark.parametrize("text", ["[[" + "1" * 5000 + "]]", "[" * 100_000 + "]" * 100_000, "[[NaN]]"])
def test_hostile_perm_files_are_one_line(cli, tmp_path, text):
    one_line_error(cli("check", "chain:W=8/8/8,G=2/2", "--perm-file", write(tmp_path, "p.json", text)))


def test_perm_file_bytes_are_bounded(cli, tmp_path):
    path = tmp_path / "p.json"
    with open(path, "wb") as handle:
        handle.truncate((48 << 20) + 1)  # sparse: no disk used
    assert "larger than 50,331,648" in one_line_error(cli("check", "chain:W=8/8/8,G=2/2", "--perm-file", str(path)))


# --- files: no temporary file survives a signal; modes kept or from the umask --------------------

def _space_out(out: Path, **kw):
    return subprocess.Popen([sys.executable, "-m", "igcdesign", "space", "-f", "igcv2", "-p", "2e6", "--top", "1", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}, **kw)


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_signal_during_space_out_leaves_no_temporary_file(tmp_path, signame):
    import signal
    import time

    out = tmp_path / "rows.csv"
    p = _space_out(out)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".rows.*")) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if p.poll() is not None:
        pytest.skip("the write finished before a signal could be sent")
    p.send_signal(getattr(signal, signame))
    p.wait(timeout=60)
    assert list(tmp_path.iterdir()) == []


def test_replacing_a_0600_file_keeps_its_mode(tmp_path):
    out = tmp_path / "rows.csv"
    out.write_text("old\n")
    out.chmod(0o600)
    r = run_process("space", "-f", "igcv1", "-p", "1e4", "--top", "1", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text() != "old\n" and (out.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize("umask,mode", [(0o077, 0o600), (0o002, 0o664)])
def test_new_file_follows_the_umask(tmp_path, umask, mode):
    out = tmp_path / "rows.csv"
    r = run_process("space", "-f", "igcv1", "-p", "1e4", "--top", "1", "-o", str(out), preexec_fn=lambda: os.umask(umask))
    assert r.returncode == 0, r.stderr
    assert (out.stat().st_mode & 0o777) == mode


def test_out_in_proc_is_one_line(cli):
    line = one_line_error(cli("space", "-f", "igcv1", "-p", "1e4", "--top", "1", "-o", "/proc/x.csv"))
    assert "/proc/x.csv" in line


def test_out_name_too_long_for_the_temporary_file(cli, tmp_path):
    out = tmp_path / ("r" * 250 + ".csv")
    r = cli("space", "-f", "igcv1", "-p", "1e4", "--top", "1", "-o", str(out))
    assert r.exit_code in (0, 2), r.stderr
    if r.exit_code == 2:
        one_line_error(r)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_out_in_unwritable_folder_is_one_line(cli, tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    if os.geteuid() == 0:  # root writes anywhere: the folder refuses the way the kernel would for others
        import tempfile

        real_mkstemp = tempfile.mkstemp

        def refusing_mkstemp(*args, dir=None, **kwargs):
            if dir is not None and Path(dir) == folder:
                raise PermissionError(13, "Permission denied", str(folder / "x.csv"))
            return real_mkstemp(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", refusing_mkstemp)
    line = one_line_error(cli("space", "-f", "igcv1", "-p", "1e4", "--top", "1", "-o", str(folder / "x.csv")))
    assert "x.csv" in line and "ermission" in line
    assert list(folder.iterdir()) == []


def test_dangling_symlink_as_out(cli, tmp_path):
    link = tmp_path / "x.csv"
    link.symlink_to(tmp_path / "missing" / "target.csv")
    line = one_line_error(cli("space", "-f", "igcv1", "-p", "1e4", "--top", "1", "-o", str(link)))
    assert "symlink" in line


def test_symlink_as_out_writes_its_target(cli, tmp_path):
    target = tmp_path / "target.csv"
    link = tmp_path / "x.csv"
    link.symlink_to(target)
    assert cli("space", "-f", "igcv1", "-p", "1e4", "--top", "1", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and target.read_text().startswith("config")
