"""Training, translation and evaluation under failure: disk full, stop signals with DataLoader
workers, resumes (TensorBoard steps, stale temps, other architectures), non-finite weights,
output permissions, oversized images and the SWD pyramid's termination."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from gan_testutils import (
    BIN,
    TINY,
    compose,
    make_photo_folder,
    make_render_batch,
    translate_config,
)
from PIL import Image
from render_testutils import assert_one_line_error

from gan import checkpoint as ckpt
from gan import evaluate, translate
from gan.config import ConfigError, parse_train_config
from gan.data import DataError, load_rgb
from gan.distributed import DistInfo
from gan.io import OutputError
from gan.metrics import laplacian_pyramid
from gan.trainer import NonFiniteState, Trainer, run_training

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def domains(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("domains")
    return make_render_batch(root / "renders", count=4), make_photo_folder(root / "photos", 4)


def cfg_for(domains, *extra: str) -> dict:
    return compose([*TINY, f"data.source_dir={domains[0]}", f"data.target_dir={domains[1]}",
                    "metrics.eval_images=4", *extra])  # fmt: skip


def disk_full(*_a, **_k):
    raise OSError(errno.ENOSPC, "No space left on device")


def read_scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}


# ----------------------------------------------------------------------------- resume
def test_resume_other_architecture_is_one_line_naming_key(domains, tmp_path):
    run_training(cfg_for(domains, "trainer.max_steps=1"), tmp_path)
    with pytest.raises(ConfigError) as ex:
        run_training(cfg_for(domains, "trainer.max_steps=2", "model.generator.ngf=16"), tmp_path)
    msg = str(ex.value)
    assert "\n" not in msg and "last.pt" in msg and "shape" in msg
    assert "model.generator.ngf (checkpoint 8, now 16)" in msg


def test_resume_keeps_checkpoint_step_in_tensorboard(domains, tmp_path):
    run_training(cfg_for(domains, "trainer.max_steps=3"), tmp_path)
    run_training(cfg_for(domains, "trainer.max_steps=6"), tmp_path)
    scalars = read_scalars(tmp_path)
    steps = [s for s, _ in scalars["loss/G_GAN"]]
    assert sorted(set(steps)) == [1, 2, 3, 4, 5, 6]
    before = {t: list(v) for t, v in scalars.items()}
    run_training(cfg_for(domains, "trainer.max_steps=6"), tmp_path)  # a finished run again
    after = read_scalars(tmp_path)
    assert (6, before["loss/G_GAN"][-1][1]) in after["loss/G_GAN"]
    assert [s for s, _ in after["metrics/swd"]] == [s for s, _ in before["metrics/swd"]]
    assert after["hparams/swd"] == before["hparams/swd"]


def test_stale_checkpoint_temps_are_removed(domains, tmp_path):
    ck = tmp_path / "checkpoints"
    ck.mkdir()
    stale = [ck / ".last.pt.123.tmp", ck / ".best.pt.abc123.tmp"]
    for p in stale:
        p.write_bytes(b"half a checkpoint")
    keep = [ck / "notes.tmp", ck / ".other.pt.1.tmp", tmp_path / ".last.pt.1.tmp"]
    for p in keep:
        p.write_bytes(b"not ours")
    run_training(cfg_for(domains, "trainer.max_steps=1"), tmp_path)
    assert not any(p.exists() for p in stale) and all(p.exists() for p in keep)


# ----------------------------------------------------------------------------- non-finite
def test_non_finite_buffer_stops_before_overwriting_good_checkpoint(domains, tmp_path):
    cfg = cfg_for(domains, "trainer.max_steps=6", "trainer.eval_every=100")
    trainer = Trainer(parse_train_config(cfg), cfg, tmp_path, DistInfo())
    step = trainer.model.train_step
    calls = []

    def poisoned(batch):
        losses = step(batch)
        calls.append(1)
        if len(calls) == 4:  # after the step-3 checkpoint: losses fine, a BN buffer broken
            bn = next(m for m in trainer.model.raw["G"].modules() if hasattr(m, "running_var"))
            bn.running_var.fill_(float("inf"))
        return losses

    trainer.model.train_step = poisoned
    with pytest.raises(NonFiniteState, match=r"running_var is not finite at step 6"):
        trainer.fit()
    payload = ckpt.load(tmp_path / "checkpoints" / "last.pt")
    assert payload["step"] == 3 and ckpt.first_non_finite(payload["model"]) is None


def test_huge_learning_rate_never_saves_non_finite_weights(domains, tmp_path):
    cfg = cfg_for(domains, "trainer.lr=1e6", "trainer.max_steps=6", "trainer.checkpoint_every=1")
    with pytest.raises(Exception) as ex:  # a loss or a weight turns non-finite
        run_training(cfg, tmp_path)
    assert "not finite" in str(ex.value) or "loss" in str(ex.value)
    for name in ("last.pt", "best.pt"):
        if (tmp_path / "checkpoints" / name).exists():
            payload = ckpt.load(tmp_path / "checkpoints" / name)
            assert ckpt.first_non_finite(payload) is None


# ----------------------------------------------------------------------------- disk full
def test_train_disk_full_keeps_last_checkpoint(domains, tmp_path, monkeypatch):
    run_training(cfg_for(domains, "trainer.max_steps=3"), tmp_path)
    monkeypatch.setattr(ckpt.torch, "save", lambda obj, fh: (fh.write(b"x" * 100), disk_full()))
    with pytest.raises(OutputError, match=r"^disk full: could not write .*last\.pt"):
        run_training(cfg_for(domains, "trainer.max_steps=6"), tmp_path)
    monkeypatch.undo()
    assert ckpt.load(tmp_path / "checkpoints" / "last.pt")["step"] == 3
    assert not list((tmp_path / "checkpoints").glob(".*.tmp"))


@pytest.fixture(scope="module")
def translator(domains, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("translator")
    run_training(cfg_for(domains, "trainer.max_steps=1"), run)
    return run / "checkpoints" / "last.pt"


def test_translate_disk_full_is_one_line_and_leaves_nothing(domains, translator, tmp_path,
                                                            monkeypatch, capfd):  # fmt: skip
    out = tmp_path / "out"
    monkeypatch.setattr(Image.Image, "save", disk_full)
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "fridge-translate",
            f"checkpoint={translator}",
            f"input_dir={domains[0]}",
            f"out_dir={out}",
            "device=cpu",
        ],
    )
    with pytest.raises(SystemExit) as ex:
        translate.main()
    assert ex.value.code == 1
    assert_one_line_error(capfd.readouterr().err, "fridge-translate", "disk full", str(out))
    assert list(tmp_path.iterdir()) == []


def test_eval_disk_full_is_one_line(domains, tmp_path, monkeypatch, capfd):
    out = tmp_path / "report"
    monkeypatch.setattr("gan.io.os.fsync", disk_full)
    monkeypatch.setattr(sys, "argv", ["fridge-eval", f"a_dir={domains[0]}", f"b_dir={domains[1]}",
                                      f"out_dir={out}", "image_size=32", "content.enabled=false",
                                      "realism.crop_size=16", "swd_patches_per_image=8"])  # fmt: skip
    with pytest.raises(SystemExit) as ex:
        evaluate.main()
    assert ex.value.code == 1
    assert_one_line_error(capfd.readouterr().err, "fridge-eval", "disk full", "report.json")
    assert list(out.iterdir()) == []


def test_eval_read_only_out_dir_fails_before_measuring(domains, tmp_path, monkeypatch, capfd):
    out = tmp_path / "report"
    monkeypatch.setattr("gan.io.os.access", lambda *a, **k: False)
    monkeypatch.setattr(evaluate, "evaluate", lambda cfg: pytest.fail("measured anyway"))
    monkeypatch.setattr(sys, "argv", ["fridge-eval", f"a_dir={domains[0]}", f"b_dir={domains[1]}",
                                      f"out_dir={out}"])  # fmt: skip
    with pytest.raises(SystemExit) as ex:
        evaluate.main()
    assert ex.value.code == 2
    assert_one_line_error(capfd.readouterr().err, "fridge-eval", "out_dir", "not writable")
    assert not out.exists()


# ----------------------------------------------------------------------------- permissions
def test_outputs_respect_umask(domains, translator, tmp_path):
    old = os.umask(0o022)
    try:
        run = tmp_path / "run"
        run_training(cfg_for(domains, "trainer.max_steps=1"), run)
        out = translate.translate_batch(translate_config(
            str(translator), str(domains[0]), str(tmp_path / "translated"), device="cpu"))  # fmt: skip
        report = evaluate.write_report({"metrics": {}}, tmp_path / "eval")
    finally:
        os.umask(old)
    mode = lambda p: p.stat().st_mode & 0o777  # noqa: E731
    assert mode(run / "checkpoints" / "last.pt") == 0o644
    assert mode(report) == 0o644
    assert mode(out) == 0o755 and mode(out / "images") == 0o755
    assert {mode(p) for p in (out / "images").iterdir()} == {0o644}


# ----------------------------------------------------------------------------- images
def test_oversized_image_is_a_data_error_naming_file(tmp_path, monkeypatch):
    path = tmp_path / "huge.png"
    Image.new("1", (200, 200)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(DataError, match=r"huge\.png: image too large"):
        load_rgb(path)


def test_preprocess_none_mixed_sizes_is_data_error(domains, tmp_path):
    cfg = cfg_for(domains, "data.preprocess=none")
    with pytest.raises(DataError, match=r"data\.preprocess.*photo\d\.\w+ is \d+x\d+"):
        run_training(cfg, tmp_path)


@pytest.mark.parametrize("min_size", [0, 1, -3])
def test_laplacian_pyramid_terminates(min_size):
    levels = laplacian_pyramid(torch.zeros(1, 3, 16, 16), min_size)
    assert 1 < len(levels) <= 6 and levels[-1].shape[-1] == 1


# ----------------------------------------------------------------------------- signals
def test_sigterm_to_process_group_with_workers_saves(domains, tmp_path):
    run_dir = tmp_path / "run"
    args = [str(BIN / "fridge-train"), *TINY, f"data.source_dir={domains[0]}",
            f"data.target_dir={domains[1]}", f"hydra.run.dir={run_dir}", "data.num_workers=2",
            "trainer.max_steps=100000", "trainer.eval_every=100000",
            "trainer.checkpoint_every=2", "metrics.eval_images=4"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, start_new_session=True)  # fmt: skip
    try:
        deadline = time.time() + 180
        while time.time() < deadline and not (run_dir / "checkpoints" / "last.pt").exists():
            time.sleep(0.1)
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + signal.SIGTERM, out[-3000:]
    assert "Traceback" not in out and "killed by signal" not in out
    step = int(out.rsplit("stopped by SIGTERM at step ", 1)[1].split(";")[0])
    payload = ckpt.load(run_dir / "checkpoints" / "last.pt")
    assert payload["step"] == step >= 2
    assert not list((run_dir / "checkpoints").glob(".*.tmp"))
    assert np.isfinite(float(next(iter(payload["generator"]["state_dict"].values())).sum()))
