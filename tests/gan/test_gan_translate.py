"""fridge-translate: a render batch in, a drop-in labeled batch of translated images out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gan_testutils import (
    BIN,
    TINY,
    compose,
    make_photo_folder,
    make_render_batch,
    run_cli,
    translate_config,
)
from PIL import Image

from gan.config import ConfigError
from gan.data import DataError
from gan.trainer import run_training
from gan.translate import translate_batch

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict[str, Path]:
    """A render batch (two resolutions), photos, and tiny pix2pix / cyclegan checkpoints."""
    root = tmp_path_factory.mktemp("translate")
    batch = make_render_batch(root / "batch", count=4, size=(48, 40))
    # A second resolution inside the same batch: translation must handle any size.
    Image.fromarray(np.full((37, 70, 3), 120, np.uint8)).save(batch / "images" / "000004.png")
    coco = json.loads((batch / "annotations.json").read_text())
    coco["images"].append({"id": 4, "file_name": "images/000004.png", "width": 70, "height": 37})
    (batch / "annotations.json").write_text(json.dumps(coco))
    photos = make_photo_folder(root / "photos", count=4)
    (photos / "notes.txt").write_text("not an image")
    ckpts = {}
    for model in ("pix2pix", "cyclegan"):
        cfg = compose(
            [*TINY, f"model={model}", f"data.source_dir={batch}", f"data.target_dir={photos}"]
        )
        cfg["trainer"]["max_steps"] = 2
        run_training(cfg, root / model)
        ckpts[model] = root / model / "checkpoints" / "last.pt"
    return {"batch": batch, "root": root, "photos": photos, **ckpts}


def check_output_batch(src: Path, out: Path) -> None:
    """Same names and sizes, labels copied, COCO pointing at the translated images."""
    src_names = sorted(p.name for p in (src / "images").iterdir())
    assert sorted(p.name for p in (out / "images").iterdir()) == src_names
    for name in src_names:
        with Image.open(src / "images" / name) as a, Image.open(out / "images" / name) as b:
            assert a.size == b.size and b.mode == "RGB"
            assert not np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b))
    for sub in ("masks", "meta"):
        for f in (src / sub).iterdir():
            assert (out / sub / f.name).read_bytes() == f.read_bytes()
    coco = json.loads((out / "annotations.json").read_text())
    original = json.loads((src / "annotations.json").read_text())
    assert (
        coco["annotations"] == original["annotations"]
        and coco["categories"] == original["categories"]
    )
    assert [im["file_name"] for im in coco["images"]] == [f"images/{n}" for n in src_names]
    for im in coco["images"]:
        assert (out / im["file_name"]).is_file()
    assert coco["info"]["translation"]["source_batch"] == str(src)
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_translate_cli_writes_drop_in_batch(setup, tmp_path):
    out = tmp_path / "translated"
    args = [
        str(BIN / "fridge-translate"),
        f"checkpoint={setup['pix2pix']}",
        f"input_dir={setup['batch']}",
    ]
    args += [f"out_dir={out}", "batch_size=3"]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    check_output_batch(setup["batch"], out)
    coco = json.loads((out / "annotations.json").read_text())
    assert coco["info"]["translation"]["model"] == "pix2pix"
    assert coco["info"]["translation"]["direction"] == "AtoB"
    assert (out / "translation_preview.png").is_file()
    # The COCO file is loadable by pycocotools and points at existing files.
    from pycocotools.coco import COCO

    api = COCO(str(out / "annotations.json"))
    assert len(api.getImgIds()) == 5


def test_translate_cyclegan_uses_source_to_target_generator(setup, tmp_path):
    out = translate_batch(
        translate_config(str(setup["cyclegan"]), str(setup["batch"]), str(tmp_path / "cyc"))
    )
    check_output_batch(setup["batch"], out)
    assert (
        json.loads((out / "annotations.json").read_text())["info"]["translation"]["model"]
        == "cyclegan"
    )


@pytest.mark.parametrize(("model", "direction"), [("pix2pix", "AtoB"), ("cyclegan", "BtoA")])
def test_translate_plain_folder_both_directions_with_preview(setup, tmp_path, model, direction):
    """A plain folder of images in, a plain folder out (same names and sizes), a preview
    sheet of input | translation rows; BtoA runs CycleGAN's photo-to-render generator."""
    photos = setup["photos"]
    out = translate_batch(
        translate_config(str(setup[model]), str(photos), str(tmp_path / "out"), direction=direction)
    )
    names = sorted(p.name for p in photos.iterdir() if p.suffix != ".txt")
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "translation_preview.png"])
    for name in names:
        with Image.open(photos / name) as a, Image.open(out / name) as b:
            assert a.size == b.size
    with Image.open(out / "translation_preview.png") as sheet:
        # 4 rows of two 256 px tiles with 4 px padding
        assert sheet.size == (2 * 256 + 3 * 4, 4 * 256 + 5 * 4)
    if direction == "BtoA":  # the reverse generator differs from the forward one
        fwd = translate_batch(translate_config(str(setup[model]), str(photos), str(tmp_path / "f")))
        a, b = (np.asarray(Image.open(d / names[0])) for d in (out, fwd))
        assert not np.array_equal(a, b)


def test_safetensors_export_translates_like_the_checkpoint(setup, tmp_path):
    """checkpoints/generator.safetensors (written with last.pt) rebuilds the same translator:
    identical output images; a file that is not an export is a one-line CheckpointError."""
    from gan import checkpoint as ckpt

    export = setup["cyclegan"].parent / ckpt.GENERATOR_EXPORT
    assert export.is_file()
    _, info = ckpt.load_generator_export(export)
    assert info == {"model": "cyclegan", "step": 2}
    a = translate_batch(
        translate_config(str(setup["cyclegan"]), str(setup["batch"]), str(tmp_path / "a"))
    )
    b = translate_batch(translate_config(str(export), str(setup["batch"]), str(tmp_path / "b")))
    for f in sorted((a / "images").iterdir()):
        assert (b / "images" / f.name).read_bytes() == f.read_bytes()
    bogus = tmp_path / "x.safetensors"
    bogus.write_bytes(b"not safetensors")
    with pytest.raises(ckpt.CheckpointError, match="x.safetensors: not a readable generator"):
        translate_batch(translate_config(str(bogus), str(setup["batch"]), str(tmp_path / "c")))
    with pytest.raises(ConfigError, match="BtoA needs the training checkpoint"):
        translate_batch(translate_config(str(export), str(setup["photos"]), str(tmp_path / "d"),
                                        direction="BtoA"))  # fmt: skip


def test_translate_btoa_needs_a_reverse_generator(setup, tmp_path):
    cfg = translate_config(
        str(setup["pix2pix"]), str(setup["photos"]), str(tmp_path / "o"), direction="BtoA"
    )
    with pytest.raises(ConfigError, match="direction: BtoA needs .*cyclegan.*pix2pix"):
        translate_batch(cfg)
    assert not (tmp_path / "o").exists()


def test_translate_refuses_existing_output_and_bad_input(setup, tmp_path):
    out = tmp_path / "exists"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="already exists"):
        translate_batch(translate_config(str(setup["pix2pix"]), str(setup["batch"]), str(out)))
    assert (out / "keep.txt").read_text() == "mine"
    translate_batch(
        translate_config(str(setup["pix2pix"]), str(setup["batch"]), str(out), overwrite=True)
    )
    assert not (out / "keep.txt").exists() and (out / "annotations.json").is_file()
    with pytest.raises(DataError, match="input_dir: .*no PNG/JPEG/WebP images"):
        translate_batch(translate_config(str(setup["pix2pix"]), str(tmp_path), str(tmp_path / "x")))


def test_translate_corrupt_input_leaves_nothing(setup, tmp_path):
    bad = make_render_batch(tmp_path / "bad", count=2)
    (bad / "images" / "000001.png").write_bytes(b"broken")
    out = tmp_path / "out"
    with pytest.raises(DataError, match="000001.png"):
        translate_batch(translate_config(str(setup["pix2pix"]), str(bad), str(out)))
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_translate_cli_missing_checkpoint_is_one_line_error(setup, tmp_path):
    args = [
        str(BIN / "fridge-translate"),
        f"checkpoint={tmp_path / 'nope.pt'}",
        f"input_dir={setup['batch']}",
    ]
    args += [f"out_dir={tmp_path / 'o'}"]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.pt" in lines[0]
    assert not (tmp_path / "o").exists()
