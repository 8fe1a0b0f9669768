"""Training end to end: Hydra apps, TensorBoard output, resume, signals, DDP, real photos."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from gan_testutils import (
    BIN,
    REAL_PHOTOS,
    TINY,
    compose,
    make_photo_folder,
    make_render_batch,
    run_cli,
)
from PIL import Image

from gan import checkpoint as ckpt
from gan.config import ConfigError, parse_train_config
from gan.distributed import DistInfo
from gan.models import model_class, rebuild_generator
from gan.train import prevalidate
from gan.trainer import NonFiniteLoss, Trainer, run_training

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def domains(tmp_path_factory) -> tuple[Path, Path]:
    """Render batch (source) and a messy photo folder (target) incl. a corrupt file."""
    root = tmp_path_factory.mktemp("domains")
    src = make_render_batch(root / "renders", count=6)
    tgt = make_photo_folder(root / "photos", count=5)
    Image.fromarray(np.full((40, 40), 90, np.uint8), mode="L").save(tgt / "gray.png")
    Image.fromarray(np.full((40, 44, 4), 128, np.uint8), mode="RGBA").save(tgt / "rgba.png")
    Image.fromarray(np.full((36, 48), 30000, np.uint16)).save(tgt / "deep16.png")
    (tgt / "corrupt.jpg").write_bytes(b"this is not an image")
    return src, tgt


def data_args(domains: tuple[Path, Path]) -> list[str]:
    """Overrides pointing the trainer at the fixture folders."""
    return [f"data.source_dir={domains[0]}", f"data.target_dir={domains[1]}"]


def train(domains, run_dir: Path, *extra: str):
    """In-process training via the compose API."""
    cfg = compose([*TINY, *data_args(domains), *extra])
    return run_training(cfg, run_dir)


def read_events(run_dir: Path):
    """EventAccumulator over a run folder, fully loaded."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def hparams_sessions(run_dir: Path) -> list[tuple[str, str]]:
    """(kind, detail) of every HParams record in the run's event files, in order: kind is
    start (detail: the metric tags of its experiment) or end (detail: the status name)."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

    out = []
    for path in sorted(run_dir.glob("events.out.tfevents.*"), key=lambda f: f.stat().st_mtime):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name != "hparams":
                    continue
                data = plugin_data_pb2.HParamsPluginData.FromString(
                    value.metadata.plugin_data.content
                )
                if data.HasField("experiment"):
                    tags = ",".join(m.name.tag for m in data.experiment.metric_infos)
                    out.append(("start", tags))
                elif data.HasField("session_end_info"):
                    out.append(("end", api_pb2.Status.Name(data.session_end_info.status)))
    return out


def test_multirun_grid_writes_runs_checkpoints_and_tensorboard(domains, tmp_path):
    sweep = tmp_path / "sweep"
    args = [
        str(BIN / "fridge-train"),
        "--multirun",
        "model=pix2pix,cyclegan",
        *TINY,
        *data_args(domains),
    ]
    args += [
        "trainer.max_steps=4",
        "trainer.eval_every=2",
        "trainer.image_every=2",
        f"hydra.sweep.dir={sweep}",
    ]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert output.count("skipping corrupt target image") == 2  # once per run, naming the file
    assert "corrupt.jpg" in output and "skipped 1 corrupt image file(s)" in output
    expected = {
        "0": ["loss/G_GAN", "loss/G_L1", "loss/D_real", "loss/D_fake"],
        "1": ["loss/G_A", "loss/G_B", "loss/cycle_A", "loss/cycle_B", "loss/idt_A", "loss/D_A"],
    }
    for job, loss_tags in expected.items():
        (run,) = sweep.glob(f"{job}_*")  # job number, then what the run is
        model = ["pix2pix", "cyclegan"][int(job)]
        assert run.name.startswith(f"{job}_{model}_") and "max_steps=4" in run.name, run.name
        assert (run / "checkpoints" / "last.pt").is_file() and (
            run / "checkpoints" / "best.pt"
        ).is_file()
        acc = read_events(run)
        scalars = set(acc.Tags()["scalars"])
        assert set(loss_tags) <= scalars
        assert {"lr/G", "lr/D", "metrics/swd", "metrics/swd_untranslated"} <= scalars
        assert len(acc.Scalars("loss/G")) == 4 and len(acc.Scalars("metrics/swd")) == 2
        images = set(acc.Tags()["images"])
        assert {"images/source", "images/translated", "images/target"} <= images
        assert ("images/reconstructed" in images) == (job == "1")
        hp = acc.PluginTagToContent("hparams")
        assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= set(hp)
        assert b"trainer.lr" in hp["_hparams_/session_start_info"]
        payload = ckpt.load(run / "checkpoints" / "last.pt")
        assert payload["step"] == 4 and payload["model_name"] == ["pix2pix", "cyclegan"][int(job)]


def test_run_label_says_what_a_run_is():
    from gan.cli import run_label

    aicook = "../shared/data/aicook_fridge/train/images"
    overrides = ["model.lambda_content=0.5", "data.target_dir=x", "trainer.lr=1e-4"]
    assert (
        run_label("cut", aicook, overrides) == "cut_aicook_fridge-train_lambda_content=0.5,lr=1e-4"
    )
    assert run_label("pix2pix", "datasets/real") == "pix2pix_datasets-real"
    assert run_label("cut", "/data/x y/photos", ["data.crop=[1, 2]"]) == "cut_data-x-y_crop=-1,-2"
    long = run_label("cut", aicook, [f"model.k{i}=v" for i in range(60)])
    assert len(long) == 120 and "~" in long
    assert long != run_label("cut", aicook, [f"model.k{i}=v" for i in range(61)])


def test_bad_key_is_one_line_error(domains, tmp_path):
    proc = run_cli(
        [str(BIN / "fridge-train"), *TINY, *data_args(domains), "trainer.nope=1"], cwd=tmp_path
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "trainer.nope" in lines[0], proc.stderr
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("trainer.precision=16", "trainer.precision"),
        ("model=gan", "model/gan"),
        ("data.image_size=40", "data.image_size"),
        ("model.generator.arch=vit", "model.generator.arch"),
        ("+model.extra=1", "model.extra"),
        ("model.diffaug=zoom", "model.diffaug"),
        ("model.ema_decay=1.0", "model.ema_decay"),
        ("data.source_dir=/definitely/missing", "data.source_dir"),
    ],
)
def test_bad_values_fail_before_training(domains, capsys, override, key):
    with pytest.raises(SystemExit) as exc:
        prevalidate([*TINY, *data_args(domains), override])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and key in err[0]


def test_reference_defaults():
    p2p = parse_train_config(compose(["model=pix2pix"]))
    assert (p2p.trainer.lr, p2p.trainer.beta1, p2p.trainer.beta2) == (2e-4, 0.5, 0.999)
    m = model_class("pix2pix").parse_config(p2p.model)
    assert (m.generator.arch, m.generator.norm, m.generator.dropout, m.gan_mode) == (
        "unet",
        "batch",
        True,
        "vanilla",
    )
    assert m.lambda_L1 == 100.0
    assert (m.diffaug, m.ema_decay) == ("", 0.0)  # limited-data extras off by default
    cyc = parse_train_config(compose(["model=cyclegan"]))
    c = model_class("cyclegan").parse_config(cyc.model)
    assert (c.generator.arch, c.generator.n_blocks, c.generator.norm) == ("resnet", 9, "instance")
    assert (c.gan_mode, c.lambda_cycle, c.lambda_identity, c.pool_size) == ("lsgan", 10.0, 0.5, 50)
    assert (c.diffaug, c.ema_decay) == ("", 0.0)
    for exp in ("pix2pix_fridge", "cyclegan_fridge", "tiny"):
        parse_train_config(compose([f"experiment={exp}"]))
    fast = parse_train_config(compose(["trainer=fast"])).trainer
    assert (fast.precision, fast.compile, fast.lr) == ("bf16", True, 2e-4)
    with pytest.raises(ConfigError, match="model.lambda_cycle"):
        model_class("cyclegan").parse_config({**cyc.model, "lambda_cycle": "x"})


def _weights(run_dir: Path) -> dict[str, torch.Tensor]:
    payload = ckpt.load(run_dir / "checkpoints" / "last.pt")
    return {f"{n}.{k}": v for n, sd in payload["model"]["nets"].items() for k, v in sd.items()}


@pytest.mark.parametrize("model", ["pix2pix", "cyclegan", "cut", "fastcut"])
def test_resume_is_exact(domains, tmp_path, model):
    common = [
        f"model={model}",
        "trainer.batch_size=2",
        "trainer.lr_constant_fraction=1.0",
        "trainer.eval_every=100",
    ]
    common += {
        "pix2pix": ["model.generator.num_downs=5"],
        "cyclegan": ["model.pool_size=2"],
        # 2 residual blocks in the tiny preset: the deepest encoder tap is 11.
        "cut": ["model.nce_layers=[0,1,4,7,10]", "model.num_patches=16"],
        "fastcut": ["model.nce_layers=[0,4,11]", "model.num_patches=16"],
    }[model]
    straight = train(domains, tmp_path / "straight", *common, "trainer.max_steps=4")
    assert straight.step == 4
    first = train(domains, tmp_path / "split", *common, "trainer.max_steps=2")
    assert first.step == 2
    second = train(
        domains, tmp_path / "split", *common, "trainer.max_steps=4", "trainer.resume=auto"
    )
    assert second.step == 4
    # plain weights_only loading, no allow-list: a checkpoint holds no pickled code or arrays
    raw = torch.load(tmp_path / "split" / "checkpoints" / "last.pt", weights_only=True)
    assert raw["format_version"] == ckpt.FORMAT_VERSION
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "split")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    if model in ("cut", "fastcut"):  # patch positions / flips continue where they stopped
        ra = ckpt.load(tmp_path / "straight" / "checkpoints" / "last.pt")["model"]["extra"]["rng"]
        rb = ckpt.load(tmp_path / "split" / "checkpoints" / "last.pt")["model"]["extra"]["rng"]
        assert torch.equal(ra, rb)
    if model == "cyclegan":
        pa = ckpt.load(tmp_path / "straight" / "checkpoints" / "last.pt")["model"]["extra"]["pools"]
        pb = ckpt.load(tmp_path / "split" / "checkpoints" / "last.pt")["model"]["extra"]["pools"]
        assert all(
            torch.equal(x, y) for x, y in zip(pa["A"]["images"], pb["A"]["images"], strict=True)
        )


def test_nonfinite_loss_stops_and_keeps_last_good_checkpoint(domains, tmp_path):
    train(domains, tmp_path, "trainer.max_steps=2")
    before = ckpt.load(tmp_path / "checkpoints" / "last.pt")
    cfg = compose([*TINY, *data_args(domains), "trainer.max_steps=6"])
    trainer = Trainer(parse_train_config(cfg), cfg, tmp_path, DistInfo())
    step = trainer.model.train_step

    def nan_l1(batch):  # the config rejects nan weights, so break the loss itself
        losses = step(batch)
        return {**losses, "G_L1": losses["G_L1"] * float("nan")}

    seen_while_alive = []

    def nan_l1_watched(batch):
        seen_while_alive.append(hparams_sessions(tmp_path))
        return nan_l1(batch)

    trainer.model.train_step = nan_l1_watched
    with pytest.raises(NonFiniteLoss, match=r"loss G_L1 is nan at step 3"):
        trainer.fit()
    after = ckpt.load(tmp_path / "checkpoints" / "last.pt")
    assert after["step"] == before["step"] == 2
    # HParams: the first run ended as a success; the second was listed from its first step
    # (a session start, no end yet) and ended as a failure
    first = [("start", "metrics/swd,metrics/swd_untranslated,hparams/best_swd"),
             ("end", "STATUS_SUCCESS")]  # fmt: skip
    assert seen_while_alive[0] == [*first, first[0]]
    assert hparams_sessions(tmp_path) == [*first, first[0], ("end", "STATUS_FAILURE")]


def test_bf16_autocast_training_on_cpu(domains, tmp_path):
    result = train(
        domains, tmp_path, "model=cyclegan", "trainer.precision=bf16", "trainer.max_steps=2"
    )
    assert result.step == 2 and np.isfinite(result.metrics["swd"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device (the CPU runs above)")
@pytest.mark.parametrize(
    "model", ["model=pix2pix", "model=cyclegan", "model=cut model.nce_layers=[0,1,4,7,10]"]
)
def test_bf16_training_on_cuda_resumes_and_loads_on_the_cpu(domains, tmp_path, model):
    on_cuda = [*model.split(), "trainer.device=cuda", "trainer.precision=bf16"]
    first = train(domains, tmp_path, *on_cuda, "trainer.max_steps=2")
    assert first.step == 2 and np.isfinite(first.metrics["swd"])
    resumed = train(domains, tmp_path, *on_cuda, "trainer.max_steps=4")
    assert resumed.step == 4 and np.isfinite(resumed.metrics["swd"])
    net, _ = rebuild_generator(ckpt.load(tmp_path / "checkpoints" / "last.pt")["generator"])
    assert {p.device.type for p in net.parameters()} == {"cpu"}
    y = net(torch.rand(1, 3, 32, 32) * 2 - 1)
    assert y.shape == (1, 3, 32, 32) and torch.isfinite(y).all()


def test_checkpoint_rebuilds_generator_without_config(domains, tmp_path):
    train(domains, tmp_path, "model=cyclegan", "trainer.max_steps=1")
    payload = ckpt.load(tmp_path / "checkpoints" / "last.pt")
    net, spec = rebuild_generator(payload["generator"])
    assert spec.arch == "resnet" and spec.ngf == 8
    assert net(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32)
    assert not [p for p in (tmp_path / "checkpoints").iterdir() if p.suffix == ".tmp"]


def test_sigterm_saves_last_checkpoint(domains, tmp_path):
    run_dir = tmp_path / "run"
    args = [str(BIN / "fridge-train"), *TINY, *data_args(domains), f"hydra.run.dir={run_dir}"]
    args += [
        "trainer.max_steps=1000000",
        "trainer.eval_every=1000000",
        "trainer.checkpoint_every=1000000",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list(run_dir.glob("events.out.tfevents.*")):
            time.sleep(0.2)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, out[-2000:]
    assert "stopped by SIGTERM" in out
    payload = ckpt.load(run_dir / "checkpoints" / "last.pt")
    assert payload["step"] > 0
    assert [k for k, _ in hparams_sessions(run_dir)] == ["start", "end"]
    assert hparams_sessions(run_dir)[-1] == ("end", "STATUS_UNKNOWN")  # stopped, resumable


def test_ddp_two_cpu_processes_gloo(domains, tmp_path):
    run_dir = tmp_path / "ddp"
    args = [str(BIN / "torchrun"), "--standalone", "--nproc_per_node=2", "-m", "gan.train", *TINY]
    args += [*data_args(domains), "model=cyclegan", "trainer.batch_size=2", "trainer.max_steps=3"]
    args += [f"hydra.run.dir={run_dir}"]
    proc = run_cli(args, cwd=tmp_path, env={"OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    log_text = (run_dir / "train.log").read_text()
    assert "rank 0 of 2" in log_text and "rank 1 of 2" in log_text
    sums = dict(re.findall(r"rank (\d) parameter checksum (\S+)", log_text))
    assert set(sums) == {"0", "1"} and sums["0"] == sums["1"], "DDP replicas diverged"
    assert ckpt.load(run_dir / "checkpoints" / "last.pt")["step"] == 3


@pytest.mark.skipif(
    not REAL_PHOTOS.is_dir(), reason="real fridge photos (../shared/data/fridge_photos) absent"
)
def test_train_on_real_fridge_photos(domains, tmp_path):
    cfg = compose(
        [*TINY, f"data.source_dir={domains[0]}", f"data.target_dir={REAL_PHOTOS}", "model=cyclegan"]
    )
    cfg["trainer"]["max_steps"] = 3
    trainer = Trainer(parse_train_config(cfg), cfg, tmp_path, DistInfo())
    assert len(trainer.target) == 10
    result = trainer.fit()
    assert result.step == 3
    assert np.isfinite(result.metrics["swd"]) and result.metrics["swd_untranslated"] > 0


@pytest.mark.parametrize("model", ["pix2pix", "cyclegan", "cut"])
def test_multiscale_discriminator_trains_every_model(domains, tmp_path, model):
    """model.discriminator.num_scales=2 trains all models, and the checkpoint holds both
    scales' weights."""
    extra = {
        "pix2pix": ["model.generator.num_downs=5"],
        "cyclegan": ["model.pool_size=2"],
        "cut": ["model.nce_layers=[0,1,4,7,10]", "model.num_patches=16"],
    }[model]
    result = train(
        domains, tmp_path, f"model={model}", *extra, "model.discriminator.num_scales=2",
        "trainer.max_steps=2", "trainer.batch_size=2",
    )  # fmt: skip
    assert result.step == 2 and np.isfinite(result.metrics["swd"])
    nets = ckpt.load(tmp_path / "checkpoints" / "last.pt")["model"]["nets"]
    d = nets["D_A" if model == "cyclegan" else "D"]
    assert any(k.startswith("scales.1.") for k in d) and any(k.startswith("scales.0.") for k in d)


def test_optuna_search_returns_the_monitored_metric_and_resumes(domains, tmp_path):
    """hparams_search=optuna_swd: every trial trains and reports its best SWD to a seeded
    Optuna study; with a storage, a second call continues the same study."""
    optuna = pytest.importorskip("optuna", reason="hydra-optuna-sweeper not installed")
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    args = [str(BIN / "fridge-train"), "hparams_search=optuna_swd", *TINY, *data_args(domains)]
    args += ["trainer.max_steps=2", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    args += [f"hydra.sweeper.storage={storage}", "hydra.sweeper.study_name=t"]
    proc = run_cli([*args, "hydra.sweeper.n_trials=2"], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    study = optuna.load_study(study_name="t", storage=storage)
    assert len(study.trials) == 2
    assert all(t.value is not None and np.isfinite(t.value) for t in study.trials)
    assert {"trainer.lr", "model.lambda_content", "model.ema_decay"} <= set(study.trials[0].params)
    runs = sorted(p.name for p in (tmp_path / "sweep").iterdir() if p.is_dir())
    assert runs[0].startswith("0_pix2pix_") and "lr=" in runs[0], runs
    proc = run_cli([*args, "hydra.sweeper.n_trials=1"], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert len(optuna.load_study(study_name="t", storage=storage).trials) == 3


def test_sigusr2_saves_then_hands_over_to_the_launchers_handler(domains, tmp_path):
    """A batch system's SIGUSR2 (SLURM's time-limit warning, which submitit turns into a
    requeue): the trainer saves last.pt at the step boundary, then calls the handler that was
    installed before training (the requeue), and exits; a resume continues from that step."""
    cfg = compose([*TINY, *data_args(domains), "trainer.max_steps=50"])
    trainer = Trainer(parse_train_config(cfg), cfg, tmp_path, DistInfo())
    step, calls = trainer.model.train_step, []

    def signalling_step(batch):
        if trainer.progress.step == 2:
            os.kill(os.getpid(), signal.SIGUSR2)
        return step(batch)

    def launcher_handler(signum, _frame):
        calls.append((signum, ckpt.load(tmp_path / "checkpoints" / "last.pt")["step"]))

    trainer.model.train_step = signalling_step
    old = signal.signal(signal.SIGUSR2, launcher_handler)
    try:
        with pytest.raises(SystemExit) as ex:
            trainer.fit()
    finally:
        signal.signal(signal.SIGUSR2, old)
    assert ex.value.code == 128 + signal.SIGUSR2
    assert calls == [(signal.SIGUSR2, 3)]  # the requeue ran after last.pt held step 3
    assert signal.getsignal(signal.SIGUSR2) is old
    assert train(domains, tmp_path, "trainer.max_steps=4").step == 4


def test_slurm_training_launcher_preset_composes(tmp_path):
    """hydra/launcher=train_slurm: submitit's SLURM launcher with requeue on timeout and the
    SIGUSR2 warning early enough to save (no cluster needed to check the composition)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from gan.cli import CONFIG_DIR

    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = hydra_compose(
            config_name="train",
            overrides=["hydra/launcher=train_slurm"],
            return_hydra_config=True,
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert launcher.max_num_timeout > 0 and launcher.signal_delay_s >= 60
    assert cfg.trainer.resume == "auto"
    from gan.trainer import STOP_SIGNALS

    assert signal.SIGUSR2 in STOP_SIGNALS
