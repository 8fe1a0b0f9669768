"""A corpus of bad `fridge-train`, `fridge-translate` and `fridge-eval` inputs.

Every case runs the console script's own checking step (`prevalidate`, which composes the
command line with Hydra and checks it before Hydra runs) in-process, in a working folder holding
tiny data, and must exit non-zero with exactly one stderr line naming the key or file, no
traceback and no new file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gan_testutils import TINY, compose, make_photo_folder, make_render_batch, single_thread
from PIL import Image
from render_testutils import assert_one_line_error, tree

from gan import evaluate, translate
from gan import train as gtrain
from gan.trainer import run_training

T = [  # fridge-train: (case id, arguments, words the error line must contain)
    ("lr-nan", ["trainer.lr=nan"], ["trainer.lr", "finite"]),
    ("lr-inf", ["trainer.lr=inf"], ["trainer.lr", "finite"]),
    ("lr-negative", ["trainer.lr=-1"], ["trainer.lr"]),
    ("lr-fraction-nan", ["trainer.lr_constant_fraction=nan"], ["trainer.lr_constant_fraction"]),
    ("beta1-big", ["trainer.beta1=1.5"], ["trainer.beta1", "[0, 1)"]),
    ("beta2-one", ["trainer.beta2=1.0"], ["trainer.beta2"]),
    ("beta1-negative", ["trainer.beta1=-0.1"], ["trainer.beta1"]),
    ("init-gain-nan", ["model.init_gain=nan"], ["model.init_gain"]),
    ("lambda-inf", ["model.lambda_L1=inf"], ["model.lambda_L1"]),
    ("unet-size-4", ["data.image_size=4", "data.load_size=4"], ["data.image_size"]),
    ("resnet-size-4", ["model=cyclegan", "data.image_size=4", "data.load_size=4"],
     ["data.image_size", "resnet generator"]),
    ("resnet-size-8", ["model=cyclegan", "data.image_size=8", "data.load_size=8"],
     ["data.image_size", "discriminator"]),
    ("seed-huge", ["seed=99999999999999999999"], ["seed"]),
    ("seed-negative", ["seed=-1"], ["seed"]),
    ("content-seed", ["metrics.content.seed=4294967296"], ["metrics.content.seed"]),
    ("swd-min-size-0", ["metrics.swd_min_size=0"], ["metrics.swd_min_size"]),
    ("preprocess-none-sizes", ["data.preprocess=none"], ["data.preprocess", "photo"]),
    ("run-dir-under-file", ["hydra.run.dir=afile.txt/run"], ["hydra.run.dir", "afile.txt"]),
    ("run-dir-is-file", ["hydra.run.dir=afile.txt"], ["hydra.run.dir", "afile.txt"]),
    ("sweep-dir-under-file", ["-m", "hydra.sweep.dir=afile.txt/x"], ["hydra.sweep.dir"]),
    ("resume-other-ngf", ["trainer.resume={ckpt}", "model.generator.ngf=16"],
     ["trainer.resume", "last.pt", "model.generator.ngf", "shape"]),
    ("resume-other-depth", ["trainer.resume={ckpt}", "model.generator.num_downs=4"],
     ["trainer.resume", "model.generator.num_downs"]),
    ("resume-other-model", ["trainer.resume={ckpt}", "model=cyclegan"],
     ["trainer.resume", "pix2pix"]),
    ("resume-absent", ["trainer.resume=nothing.pt"], ["trainer.resume", "nothing.pt"]),
    ("resume-not-checkpoint", ["trainer.resume=afile.txt"], ["afile.txt", "checkpoint"]),
    ("source-missing", ["data.source_dir=nowhere"], ["data.source_dir", "nowhere"]),
    ("target-empty", ["data.target_dir=empty"], ["data.target_dir", "empty"]),
]  # fmt: skip

R = [  # fridge-translate
    ("out-is-file", ["out_dir=afile.txt"], ["out_dir", "afile.txt"]),
    ("out-under-file", ["out_dir=afile.txt/new"], ["out_dir", "afile.txt"]),
    ("out-read-only", ["out_dir=locked/new"], ["out_dir", "locked", "not writable"]),
    ("out-not-empty", ["out_dir=full"], ["out_dir", "overwrite"]),
    ("out-is-input", ["out_dir=batch"], ["out_dir"]),
    ("input-missing", ["input_dir=nowhere"], ["input_dir", "nowhere"]),
    ("input-no-images", ["input_dir=empty"], ["input_dir", "empty", "no PNG/JPEG/WebP"]),
    ("input-corrupt", ["input_dir=corrupt_batch"], ["broken.png", "cannot read"]),
    ("input-bomb", ["input_dir=bomb_batch"], ["huge.png", "too large"]),
    ("checkpoint-missing", ["checkpoint=none.pt"], ["checkpoint", "none.pt"]),
    ("batch-size-zero", ["batch_size=0"], ["batch_size"]),
    ("precision", ["precision=16"], ["precision"]),
    ("device", ["device=tpu"], ["device"]),
]

E = [  # fridge-eval
    ("out-is-file", ["out_dir=afile.txt"], ["out_dir", "afile.txt"]),
    ("out-under-file", ["out_dir=afile.txt/report"], ["out_dir", "afile.txt"]),
    ("out-read-only", ["out_dir=locked/report"], ["out_dir", "locked", "not writable"]),
    ("a-missing", ["a_dir=nowhere"], ["a_dir", "nowhere"]),
    ("b-empty", ["b_dir=empty"], ["b_dir", "empty"]),
    ("a-corrupt", ["a_dir=corrupt_batch"], ["broken.png", "cannot read"]),
    ("b-bomb", ["b_dir=bomb_batch"], ["huge.png", "too large"]),
    ("image-size-zero", ["image_size=0"], ["image_size"]),
    ("seed-huge", ["seed=99999999999999999999"], ["seed"]),
    ("usefulness-seed", ["usefulness.seeds=[-1]"], ["usefulness.seeds"]),
    ("content-steps", ["content.steps=0"], ["content.steps"]),
    ("paired", ["paired=maybe"], ["paired"]),
]

CASES = [("train", *c) for c in T] + [("translate", *c) for c in R] + [("eval", *c) for c in E]
PROGS = {
    "train": ("fridge-train", gtrain.prevalidate),
    "translate": ("fridge-translate", translate.prevalidate),
    "eval": ("fridge-eval", evaluate.prevalidate),
}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """last.pt of a 1-step tiny Pix2Pix run."""
    root = tmp_path_factory.mktemp("ckpt")
    src = make_render_batch(root / "src", count=3, size=(40, 40))
    tgt = make_photo_folder(root / "tgt", count=3)
    cfg = compose([*TINY, f"data.source_dir={src}", f"data.target_dir={tgt}",
                   "trainer.max_steps=1", "metrics.eval_images=2"])  # fmt: skip
    with single_thread():
        run_training(cfg, root / "run")
    return root / "run" / "checkpoints" / "last.pt"


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """Tiny render batches (clean, with a corrupt file, with an oversized one), photos of mixed
    sizes, an empty folder, a plain file, a non-empty folder and a folder reported read-only."""
    monkeypatch.chdir(tmp_path)
    make_render_batch(tmp_path / "batch", count=3, size=(40, 40))
    make_photo_folder(tmp_path / "photos", count=3)
    make_render_batch(tmp_path / "corrupt_batch", count=2, size=(40, 40))
    (tmp_path / "corrupt_batch" / "images" / "broken.png").write_bytes(b"\x89PNG not really")
    make_render_batch(tmp_path / "bomb_batch", count=2, size=(40, 40))
    Image.new("1", (128, 128)).save(tmp_path / "bomb_batch/images/huge.png")
    # PIL refuses images over 2 x MAX_IMAGE_PIXELS: 128x128 > 2 x 5000 stands for a header
    # claiming 20000x20000 under the default limit; the other images (<= 64x64) stay below it
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)
    (tmp_path / "empty").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    (tmp_path / "locked").mkdir()
    (tmp_path / "afile.txt").write_text("not a folder")
    real_access = os.access
    locked = str(tmp_path / "locked")
    monkeypatch.setattr(  # tests run as root, who may write anywhere: report it read-only
        os,
        "access",
        lambda p, mode, **kw: False if str(Path(p).resolve()) == locked else real_access(p, mode),
    )
    return tmp_path


def base_args(prog: str, ckpt: Path) -> list[str]:
    """A valid command line of `prog` in the working folder."""
    if prog == "train":
        return [*TINY, "data.source_dir=batch", "data.target_dir=photos", "hydra.run.dir=run"]
    if prog == "translate":
        return [f"checkpoint={ckpt}", "input_dir=batch", "out_dir=new"]
    return ["a_dir=batch", "b_dir=photos", "out_dir=report"]


def test_corpus_is_big_enough():
    assert len(CASES) >= 40 and len({(c[0], c[1]) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("prog", ["train", "translate", "eval"])
def test_valid_command_line_passes(workdir, checkpoint, prog):
    before = tree(workdir)
    PROGS[prog][1](base_args(prog, checkpoint))  # no SystemExit
    assert tree(workdir) == before


@pytest.mark.parametrize(
    ("prog", "args", "words"),
    [(c[0], *c[2:]) for c in CASES],
    ids=[f"{c[0]}-{c[1]}" for c in CASES],
)
def test_bad_input(workdir, checkpoint, capfd, prog, args, words):
    name, check = PROGS[prog]
    args = [a.replace("{ckpt}", str(checkpoint)) for a in args]
    keys = {a.split("=")[0] for a in args}
    full = [a for a in base_args(prog, checkpoint) if a.split("=")[0] not in keys] + args
    before = tree(workdir)
    with single_thread(), pytest.raises(SystemExit) as ex:
        check(full)
    assert ex.value.code not in (0, None)
    assert_one_line_error(capfd.readouterr().err, name, *words)
    assert tree(workdir) == before
