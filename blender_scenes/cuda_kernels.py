"""`fridge-cuda-kernels`: Cycles' CUDA kernel compiled ahead of time for cards Blender ships no
binary for.

Blender 5.0.1's wheel carries Cycles' CUDA kernel as binaries (cubins) for sm_50 to sm_89 and
sm_120, and as PTX for compute_75. On any other NVIDIA card (Hopper, sm_90: H100, H200, GH200)
Cycles hands that PTX to the driver, which compiles it at the first GPU image of every fresh
machine: about five minutes in which nothing renders (ptxas takes 5-6 min for it on a 2-core
CPU; on an H200 the first image had not appeared after 330 s). OptiX renders need it too: OptiX
only compiles its small ray-tracing modules and runs the rest of Cycles' CUDA kernel.

This command compiles the PTX into the missing cubin once, with NVIDIA's ``ptxas`` (``pip install
'fridge-synth[cuda]'`` brings one; any CUDA toolkit's works), and puts it where Cycles looks
first, beside the shipped ones (``bpy/<version>/scripts/addons_core/cycles/lib``). With it the
H200's first image took 6.8-7.1 s, and its renders match the CPU's (PSNR 48-59 dB at 640x640)::

    fridge-cuda-kernels                  # for every CUDA card of this machine
    fridge-cuda-kernels --arch sm_90     # for a card elsewhere: no GPU needed here
    fridge-cuda-kernels --list           # what Cycles carries and what the cards here need

It never imports Blender, so it runs beside a render. Exit status: 0 done (or nothing to do),
2 bad input (one line: no ptxas, no bpy, an unknown --arch, no card and no --arch), 1 ptxas or a
write failed (one line; the lib folder is left as it was: the cubin is written to a temporary
name and renamed). The ptxas used must not be newer than the CUDA version of the driver that
runs it (``nvidia-smi`` shows it).
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
PROG = "fridge-cuda-kernels"

CUBIN = "kernel_sm_{}.cubin.zst"  # Cycles' file names (cycles/device/cuda/device_impl.cpp)
PTX = "kernel_compute_{}.ptx.zst"
_ARCH = re.compile(r"^(?:sm_?|compute_?)?(\d+)(?:\.(\d))?$")
# CUdevice_attribute values of the CUDA driver API (cuda.h)
_CC_MAJOR, _CC_MINOR = 75, 76


class KernelError(Exception):
    """A one-line reason the kernel cannot be compiled (bad input or a failed step)."""


@dataclass(frozen=True)
class Card:
    """One CUDA device of this machine."""

    index: int
    name: str
    arch: int  # compute capability as Cycles names it: 9.0 -> 90


def parse_arch(text: str) -> int:
    """`sm_90`, `90`, `9.0` or `compute_90` -> 90."""
    m = _ARCH.match(text.strip())
    if not m:
        raise KernelError(f"--arch: expected e.g. sm_90, 90 or 9.0, got {text!r}")
    major, minor = m.groups()
    arch = int(major) * 10 + int(minor) if minor is not None else int(major)
    if not 30 <= arch <= 199:
        raise KernelError(f"--arch: {text!r} is not a CUDA compute capability (sm_30 .. sm_199)")
    return arch


def cycles_lib_dir() -> Path:
    """The folder of Cycles' GPU kernels inside the installed `bpy` (found without importing it)."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise KernelError(
            "bpy is not installed here (pip install 'fridge-synth[render]'), or give --cycles-lib"
        )
    for root in spec.submodule_search_locations:
        found = sorted(Path(root).glob("*/scripts/addons_core/cycles/lib"))
        if found:
            return found[-1]
    raise KernelError(f"no */scripts/addons_core/cycles/lib in the bpy package at {spec.origin}")


def _archs(lib: Path, pattern: str) -> list[int]:
    rx = re.compile("^" + re.escape(pattern).replace(r"\{\}", r"(\d+)") + "$")
    return sorted(int(m.group(1)) for p in lib.iterdir() if (m := rx.match(p.name)))


def shipped_cubins(lib: Path) -> list[int]:
    """Architectures Cycles has a cubin for in `lib` (shipped or compiled here)."""
    return _archs(lib, CUBIN)


def ptx_for(lib: Path, arch: int) -> Path | None:
    """The PTX Cycles falls back to on `arch`: the newest compute_XY not above it, as Cycles picks
    it (a driver runs PTX of older architectures, never of newer ones)."""
    usable = [a for a in _archs(lib, PTX) if a <= arch]
    return lib / PTX.format(max(usable)) if usable else None


def cuda_cards() -> list[Card]:
    """The CUDA devices of this machine, read through the driver (libcuda); [] without one."""
    names = ("nvcuda.dll",) if sys.platform == "win32" else ("libcuda.so.1", "libcuda.so")
    cuda = None
    for name in names:
        try:
            cuda = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if cuda is None or cuda.cuInit(0) != 0:
        return []
    count = ctypes.c_int()
    if cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return []
    cards = []
    for i in range(count.value):
        dev, major, minor = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        name = ctypes.create_string_buffer(256)
        if cuda.cuDeviceGet(ctypes.byref(dev), i) != 0:
            continue
        cuda.cuDeviceGetAttribute(ctypes.byref(major), _CC_MAJOR, dev)
        cuda.cuDeviceGetAttribute(ctypes.byref(minor), _CC_MINOR, dev)
        cuda.cuDeviceGetName(name, len(name), dev)
        cards.append(Card(i, name.value.decode(errors="replace"), major.value * 10 + minor.value))
    return cards


def missing_cubins(lib: Path, cards: list[Card]) -> list[Card]:
    """The cards Cycles would compile its kernel for at the first image (no cubin in `lib`)."""
    have = set(shipped_cubins(lib))
    return [c for c in cards if c.arch not in have]


def find_ptxas(explicit: str | None = None) -> Path:
    """NVIDIA's PTX assembler: `explicit`, else on PATH, in $CUDA_HOME/$CUDA_PATH, or from the
    nvidia-cuda-nvcc pip package."""
    if explicit:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise KernelError(f"--ptxas: {explicit} is not an executable file")
        return path
    exe = "ptxas.exe" if sys.platform == "win32" else "ptxas"
    candidates = [shutil.which("ptxas")]
    candidates += [str(Path(os.environ[v]) / "bin" / exe) for v in ("CUDA_HOME", "CUDA_PATH")
                   if os.environ.get(v)]  # fmt: skip
    try:
        spec = importlib.util.find_spec("nvidia.cuda_nvcc")
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        candidates += [str(Path(p) / "bin" / exe) for p in spec.submodule_search_locations]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return Path(c)
    raise KernelError(
        "no ptxas found (PATH, $CUDA_HOME/bin, the nvidia-cuda-nvcc package): "
        "pip install 'fridge-synth[cuda]', or give --ptxas PATH"
    )


def _zstd():
    try:
        import zstandard  # installed with bpy, which decompresses its kernels with it
    except ImportError as exc:
        raise KernelError("the zstandard package is missing: pip install zstandard") from exc
    return zstandard


def compile_cubin(
    lib: Path, arch: int, ptxas: Path, force: bool = False, timeout: float = 3600
) -> Path:
    """Compile Cycles' PTX into `lib/kernel_sm_<arch>.cubin.zst` (kept if present, unless
    `force`); returns its path. Written to a temporary name and renamed."""
    out = lib / CUBIN.format(arch)
    if out.exists() and not force:
        log.info("%s is there already: nothing to do (--force compiles it again)", out.name)
        return out
    ptx = ptx_for(lib, arch)
    if ptx is None:
        raise KernelError(
            f"{lib}: no Cycles PTX for sm_{arch} (kernel_compute_XY.ptx.zst, XY <= {arch})"
        )
    zstd = _zstd()
    tmp_out = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(prefix="fridge-cuda-") as work:
        src, cubin = Path(work) / "kernel.ptx", Path(work) / "kernel.cubin"
        with open(ptx, "rb") as f, open(src, "wb") as g:
            zstd.ZstdDecompressor().copy_stream(f, g)
        cmd = [str(ptxas), f"-arch=sm_{arch}", "-O3", str(src), "-o", str(cubin)]
        log.info("compiling %s for sm_%d with %s (minutes: about 5 on 2 CPU cores)", ptx.name,
                 arch, ptxas)  # fmt: skip
        t0 = time.perf_counter()
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise KernelError(f"ptxas ran past {timeout:.0f} s compiling {ptx.name}") from exc
        if run.returncode != 0:
            last = (run.stderr.strip() or run.stdout.strip() or "no output").splitlines()[-1]
            raise KernelError(
                f"ptxas failed on {ptx.name} for sm_{arch} ({run.returncode}): {last}"
            )
        data = cubin.read_bytes()
        if data[:4] != b"\x7fELF":
            raise KernelError(f"ptxas wrote no CUDA binary for sm_{arch} ({cubin.name} is not ELF)")
        try:
            with open(tmp_out, "wb") as f:
                f.write(zstd.ZstdCompressor(level=19).compress(data))
            os.replace(tmp_out, out)
        except OSError as exc:
            tmp_out.unlink(missing_ok=True)
            raise KernelError(f"{out}: cannot write ({exc.strerror or exc})") from exc
    log.info(
        "wrote %s (%.1f MB) in %.0f s", out, out.stat().st_size / 1e6, time.perf_counter() - t0
    )
    return out


def describe(lib: Path, cards: list[Card]) -> str:
    """What Cycles carries in `lib` and what each card of this machine gets (for --list)."""
    have = shipped_cubins(lib)
    lines = [
        f"Cycles kernels: {lib}",
        "  cubins: " + ", ".join(f"sm_{a}" for a in have),
        "  PTX: " + ", ".join(f"compute_{a}" for a in _archs(lib, PTX)),
    ]
    for c in cards:
        state = "cubin present" if c.arch in have else "no cubin: compiled at the first image"
        lines.append(f"  GPU {c.index}: {c.name}, sm_{c.arch}: {state}")
    if not cards:
        lines.append("  no CUDA device on this machine")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Console script `fridge-cuda-kernels`."""
    from gan.cli import EXIT_CONFIG, EXIT_OUTPUT, fail

    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", action="append", default=[],
                    help="compute capability to compile for (sm_90, 9.0); repeatable; "
                    "default: every CUDA card of this machine")  # fmt: skip
    ap.add_argument("--ptxas", help="the ptxas to use (default: PATH, $CUDA_HOME, pip package)")
    ap.add_argument("--cycles-lib", type=Path,
                    help="Cycles' kernel folder (default: the installed bpy's)")  # fmt: skip
    ap.add_argument("--force", action="store_true", help="compile even where a cubin exists")
    ap.add_argument("--list", action="store_true", help="show what is there, compile nothing")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        archs = [parse_arch(a) for a in args.arch]
        lib = args.cycles_lib or cycles_lib_dir()
        if not (lib.is_dir() and _archs(lib, PTX)):
            raise KernelError(
                f"--cycles-lib: {lib} holds no Cycles PTX (kernel_compute_XY.ptx.zst)"
            )
        cards = cuda_cards()
        if args.list:
            print(describe(lib, cards))
            return
        if not archs:
            if not cards:
                raise KernelError("no CUDA device found here: give --arch (e.g. --arch sm_90)")
            archs = [c.arch for c in missing_cubins(lib, cards)]
            if not archs:
                log.info("every card here has a Cycles cubin: nothing to do")
                return
        for arch in archs:
            if ptx_for(lib, arch) is None:
                raise KernelError(f"--arch: sm_{arch} is older than every PTX in {lib}")
        ptxas = find_ptxas(args.ptxas)
    except KernelError as exc:
        fail(PROG, str(exc), EXIT_CONFIG)
    for arch in sorted(set(archs)):
        try:
            compile_cubin(lib, arch, ptxas, force=args.force)
        except KernelError as exc:
            fail(PROG, str(exc), EXIT_OUTPUT)


if __name__ == "__main__":
    main()
