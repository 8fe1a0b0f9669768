"""fridge-cuda-kernels: Cycles' PTX compiled into the cubin Blender lacks for a card.

A fake Cycles lib folder holds a real (tiny) PTX kernel compressed the way Cycles ships it; the
real ptxas (the nvidia-cuda-nvcc package of the dev install) compiles it. The real wheel's folder
is checked for the facts the command relies on (where the kernels are, which cubins are shipped).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
import zstandard

from blender_scenes import cuda_kernels as ck

# a kernel that adds one to an int, as nvcc writes PTX for compute_75
PTX_SOURCE = """\
.version 7.4
.target sm_75
.address_size 64

.visible .entry add_one(
    .param .u64 add_one_param_0
)
{
    .reg .b32 %r<3>;
    .reg .b64 %rd<3>;
    ld.param.u64 %rd1, [add_one_param_0];
    cvta.to.global.u64 %rd2, %rd1;
    ld.global.u32 %r1, [%rd2];
    add.s32 %r2, %r1, 1;
    st.global.u32 [%rd2], %r2;
    ret;
}
"""
EM_CUDA = 190  # ELF e_machine of NVIDIA CUDA binaries


def _zst(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


@pytest.fixture
def lib(tmp_path):
    """A Cycles kernel folder: cubins for sm_75 and sm_120, PTX for compute_75."""
    d = tmp_path / "cycles" / "lib"
    d.mkdir(parents=True)
    (d / "kernel_compute_75.ptx.zst").write_bytes(_zst(PTX_SOURCE.encode()))
    for arch in (75, 120):
        (d / f"kernel_sm_{arch}.cubin.zst").write_bytes(_zst(b"\x7fELF shipped"))
    (d / "kernel_optix.ptx.zst").write_bytes(_zst(b"// optix"))
    (d / "kernel_gfx1100.fatbin.zst").write_bytes(_zst(b"hip"))
    return d


def _ptxas():
    try:
        return ck.find_ptxas()
    except ck.KernelError as exc:
        pytest.skip(f"needs ptxas (pip install 'fridge-synth[cuda]'): {exc}")


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "blender_scenes.cuda_kernels", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_parse_arch_accepts_the_usual_spellings():
    assert [ck.parse_arch(a) for a in ("sm_90", "90", "9.0", "compute_86", "sm_120")] == [
        90,
        90,
        90,
        86,
        120,
    ]
    for bad in ("hopper", "sm_", "9.0.1", "5", "sm_900"):
        with pytest.raises(ck.KernelError, match="--arch"):
            ck.parse_arch(bad)


def test_lists_what_cycles_carries_and_picks_ptx_as_cycles_does(lib):
    assert ck.shipped_cubins(lib) == [75, 120]
    assert ck.ptx_for(lib, 90) == lib / "kernel_compute_75.ptx.zst"
    assert ck.ptx_for(lib, 75) == lib / "kernel_compute_75.ptx.zst"
    assert ck.ptx_for(lib, 70) is None  # PTX never runs on an older card
    cards = [ck.Card(0, "H200", 90), ck.Card(1, "RTX 2080", 75), ck.Card(2, "B200", 100)]
    assert [c.arch for c in ck.missing_cubins(lib, cards)] == [90, 100]
    text = ck.describe(lib, cards)
    assert "cubins: sm_75, sm_120" in text and "PTX: compute_75" in text
    assert (
        "GPU 0: H200, sm_90: no cubin" in text and "GPU 1: RTX 2080, sm_75: cubin present" in text
    )


def test_compiles_the_ptx_into_the_missing_cubin_once(lib):
    ptxas = _ptxas()
    out = ck.compile_cubin(lib, 90, ptxas)
    assert out == lib / "kernel_sm_90.cubin.zst"
    elf = zstandard.ZstdDecompressor().decompress(out.read_bytes())
    assert elf[:4] == b"\x7fELF"
    assert int.from_bytes(elf[18:20], "little") == EM_CUDA
    assert b"add_one" in elf  # the kernel's symbol
    assert ck.shipped_cubins(lib) == [75, 90, 120]
    assert sorted(p.name for p in lib.iterdir() if p.name.startswith(".")) == []  # no temp left
    # a second run keeps the cubin; --force compiles it again
    before = out.stat().st_mtime_ns
    os.utime(out, ns=(before - 10**9, before - 10**9))
    assert ck.compile_cubin(lib, 90, ptxas).stat().st_mtime_ns == before - 10**9
    assert ck.compile_cubin(lib, 90, ptxas, force=True).stat().st_mtime_ns != before - 10**9


def test_cli_compiles_for_an_arch_without_a_gpu(lib):
    ptxas = _ptxas()
    run = _run_cli(
        "--arch", "sm_90", "--arch", "8.7", "--cycles-lib", str(lib), "--ptxas", str(ptxas)
    )
    assert run.returncode == 0, run.stderr
    assert ck.shipped_cubins(lib) == [75, 87, 90, 120]
    assert "wrote" in run.stderr


def test_a_failing_ptxas_is_one_line_and_leaves_the_folder_as_it_was(lib, tmp_path):
    fake = tmp_path / "ptxas"
    fake.write_text("#!/bin/sh\necho 'ptxas fatal   : Unresolved extern function' >&2\nexit 255\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    before = sorted(p.name for p in lib.iterdir())
    with pytest.raises(ck.KernelError, match="ptxas failed .*Unresolved extern function"):
        ck.compile_cubin(lib, 90, fake)
    run = _run_cli("--arch", "sm_90", "--cycles-lib", str(lib), "--ptxas", str(fake))
    assert run.returncode == 1
    assert (
        run.stderr.strip().splitlines()[-1].startswith("fridge-cuda-kernels: error: ptxas failed")
    )
    assert sorted(p.name for p in lib.iterdir()) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arch", "hopper"], "--arch: expected e.g. sm_90"),
        (["--arch", "sm_70"], "--arch: sm_70 is older than every PTX"),
        (["--arch", "sm_90", "--ptxas", "/nonexistent/ptxas"], "--ptxas: /nonexistent/ptxas"),
        (["--arch", "sm_90", "--cycles-lib", "/nonexistent"], "--cycles-lib: /nonexistent holds"),
    ],
)
def test_bad_input_is_one_line_with_exit_2_and_writes_nothing(lib, args, message):
    if "--cycles-lib" not in args:
        args = [*args, "--cycles-lib", str(lib)]
    before = sorted(p.name for p in lib.iterdir())
    run = _run_cli(*args)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"fridge-cuda-kernels: error: {message}")
    assert sorted(p.name for p in lib.iterdir()) == before


def test_list_names_the_folder_and_the_cards(lib):
    run = _run_cli("--list", "--cycles-lib", str(lib))
    assert run.returncode == 0, run.stderr
    assert f"Cycles kernels: {lib}" in run.stdout and "cubins: sm_75, sm_120" in run.stdout
    cards = ck.cuda_cards()
    if not cards:
        assert "no CUDA device on this machine" in run.stdout
    for c in cards:
        assert f"GPU {c.index}: {c.name}, sm_{c.arch}" in run.stdout


def test_the_installed_blender_keeps_its_kernels_where_the_command_looks():
    pytest.importorskip("bpy")
    lib = ck.cycles_lib_dir()
    assert lib.name == "lib" and lib.parent.name == "cycles"
    shipped = ck.shipped_cubins(lib)
    assert 75 in shipped and 89 in shipped  # Blender 5.0.1: sm_50 .. sm_89 and sm_120
    assert ck.ptx_for(lib, 90) is not None  # what Hopper falls back to, and what we compile


def test_without_a_card_or_arch_it_asks_for_arch(lib):
    if ck.cuda_cards():
        pytest.skip("this machine has a CUDA card: the command compiles for it")
    run = _run_cli("--cycles-lib", str(lib))
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "fridge-cuda-kernels: error: no CUDA device found here: give --arch (e.g. --arch sm_90)"
    )
