"""Renders that fail on the machine's side (disk full, truncated pass files), temp files, modes."""

from __future__ import annotations

import errno
import os
import pickle
import stat
import time
from pathlib import Path

import PIL.Image
import pytest
from render_testutils import TINY, assert_one_line_error
from testutils import render_config

from blender_scenes import cli, files, writer
from blender_scenes.files import OutputError

bpy = pytest.importorskip("bpy")


def finished_files(out: Path) -> dict[str, list[str]]:
    """What a reader of the batch would see as finished: images, masks, meta, annotations."""
    found = {
        sub: sorted(p.name for p in (out / sub).glob("*")) for sub in ("images", "masks", "meta")
    }
    found["root"] = sorted(p.name for p in out.glob("*.json"))
    return found


def temps(out: Path) -> list[str]:
    """Temp files left in the batch."""
    return sorted(p.name for p in (out / ".tmp").glob("*"))


@pytest.fixture
def empty_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)


def enospc(path) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


# ---------------------------------------------------------------------------------- item 4


@pytest.mark.parametrize("failing", ["rgb", "mask", "meta"])
def test_disk_full_is_one_line_and_nothing_finished(
    tmp_path, monkeypatch, capfd, empty_scene, failing
):
    """ENOSPC half-way through any file of an image: one line, exit 1, no finished image, no temps."""
    rc = render_config(tmp_path / "out", "count=1", "workers=0", *TINY)
    real_save, real_write_text = PIL.Image.Image.save, Path.write_text
    saves = []

    def save(self, fp, *args, **kwargs):
        saves.append(fp)
        if (failing, len(saves)) in (("rgb", 1), ("mask", 2)):
            Path(fp).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # a few bytes, then the disk is full
            raise enospc(fp)
        return real_save(self, fp, *args, **kwargs)

    def write_text(self, data, *args, **kwargs):
        if failing == "meta" and self.suffix == ".json" and self.parent.name == ".tmp":
            real_write_text(self, data[:10])
            raise enospc(self)
        return real_write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(PIL.Image.Image, "save", save)
    monkeypatch.setattr(Path, "write_text", write_text)
    with pytest.raises(SystemExit) as ex:
        cli.render(rc, preview=False)
    assert ex.value.code == 1
    final = {"rgb": "images/000000.png", "mask": "masks/000000.png", "meta": "meta/000000.json"}
    assert_one_line_error(
        capfd.readouterr().err, "fridge-render", "disk full", str(rc.out_dir / final[failing])
    )
    assert not writer.is_done(rc.out_dir, 0)
    assert finished_files(rc.out_dir)["meta"] == [] and finished_files(rc.out_dir)["root"] == []
    assert temps(rc.out_dir) == []


@pytest.mark.parametrize("cut", ["half", "empty", "missing"])
def test_truncated_pass_file(tmp_path, monkeypatch, capfd, empty_scene, cut):
    """A short pass file (Blender writes it silently short on a full disk) is no IndexError."""
    from blender_scenes import worker

    rc = render_config(tmp_path / "out", "count=1", "workers=0", *TINY)
    real = worker.render_passes

    def render_passes(scene, path):
        real(scene, path)
        data = path.read_bytes()
        if cut == "missing":
            path.unlink()
        else:
            path.write_bytes(data[: len(data) // 2] if cut == "half" else b"")

    monkeypatch.setattr(worker, "render_passes", render_passes)
    with pytest.raises(SystemExit) as ex:
        cli.render(rc, preview=False)
    assert ex.value.code == 1
    line = assert_one_line_error(capfd.readouterr().err, "fridge-render", "render pass file",
                                 str(rc.out_dir / ".tmp"))  # fmt: skip
    assert "truncated" in line
    assert finished_files(rc.out_dir)["images"] == [] and temps(rc.out_dir) == []
    # the same file on a nearly full disk is blamed on the disk
    monkeypatch.setattr(files, "disk_free", lambda path: 2**20)
    with pytest.raises(SystemExit):
        cli.render(rc, preview=False)
    assert_one_line_error(capfd.readouterr().err, "fridge-render", "disk full", "render pass file")


def test_write_error_in_worker_process_is_one_line(tmp_path, capfd, empty_scene):
    """A write that fails inside a pool worker (here: a folder where the image goes) reaches the
    parent as the same one-line error; this parent has imported bpy, as a catalog run has."""
    rc = render_config(tmp_path / "out", "count=1", "workers=1", *TINY)
    writer.prepare(rc.out_dir)
    (rc.out_dir / "images" / "000000.png").mkdir()
    with pytest.raises(SystemExit) as ex:
        cli.render(rc, preview=False)
    assert ex.value.code == 1
    assert_one_line_error(capfd.readouterr().err, "fridge-render", "could not write",
                          str(rc.out_dir / "images" / "000000.png"))  # fmt: skip
    assert not writer.is_done(rc.out_dir, 0) and temps(rc.out_dir) == []


def test_output_error_survives_worker_pickling():
    err = pickle.loads(pickle.dumps(OutputError("disk full: could not write /x/y.png")))
    assert isinstance(err, OutputError) and isinstance(err, OSError)
    assert str(err) == "disk full: could not write /x/y.png"


def test_atomic_write_removes_temp_and_names_file(tmp_path):
    final = tmp_path / "a.json"

    def write(p: Path) -> None:
        p.write_text("{")
        raise enospc(p)

    with pytest.raises(OutputError, match=r"^disk full: could not write .*a\.json"):
        files.atomic_write(final, write)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------- item 5


def test_clean_stale_temps_rule(tmp_path):
    """Own shard's temps go; other shards' go only when older than the run start (minus margin)."""
    folder = tmp_path / ".tmp"
    folder.mkdir()
    now = time.time()
    old = now - writer.STALE_TEMP_AGE_S - 60
    layout = {  # name: (age, removed?) for shard 0 of 2
        "111-000000.png": (now, True),  # this shard's image: a dead temp
        "111-000002.exr": (now, True),
        "111-000004.blend@": (now, True),
        "222-000001.png": (now, False),  # another shard, maybe being written right now
        "222-000003.json": (old, True),  # another shard, long dead
        "333-annotations.json": (now, False),
        "333-preview.png": (old, True),
        "lock": (old, True),  # the batch lock of earlier versions: an old file like any other
    }
    for name, (mtime, _) in layout.items():
        (folder / name).write_bytes(b"x")
        os.utime(folder / name, (mtime, mtime))
    removed = writer.clean_stale_temps(tmp_path, shard_index=0, shard_count=2, started=now)
    assert sorted(p.name for p in removed) == sorted(n for n, (_, gone) in layout.items() if gone)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        n for n, (_, gone) in layout.items() if not gone
    )


def test_resume_removes_dead_temps_of_this_shard(tmp_path, empty_scene):
    rc = render_config(tmp_path / "out", "count=2", "workers=0", "shard.count=2", *TINY)
    writer.prepare(rc.out_dir)
    (rc.out_dir / ".tmp" / "99999-000000.png").write_bytes(b"\x89PNG trunc")  # killed run, ours
    (rc.out_dir / ".tmp" / "99998-000001.png").write_bytes(b"\x89PNG live")  # shard 1, running
    cli.render(rc, preview=False)
    assert writer.is_done(rc.out_dir, 0)
    assert temps(rc.out_dir) == ["99998-000001.png"]


# ---------------------------------------------------------------------------------- item 7


@pytest.fixture
def umask():
    """Set the process umask for a test and restore it."""
    saved = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_outputs_respect_umask_022(tmp_path, umask, empty_scene):
    umask(0o022)
    rc = render_config(tmp_path / "new" / "out", "count=1", "workers=0", "save_blend=true", *TINY)
    cli.render(rc, preview=True)
    out = rc.out_dir
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.relative_to(out).parts[0] for p in written} >= {
        "images", "masks", "meta", "blend", "annotations.json", "preview.png"}  # fmt: skip
    assert {str(p.relative_to(out)): oct(mode(p)) for p in written if mode(p) != 0o644} == {}
    dirs = [out, out.parent, *(p for p in out.rglob("*") if p.is_dir())]
    assert {str(p): oct(mode(p)) for p in dirs if mode(p) != 0o755} == {}


def test_atomic_helper_respects_umask_002(tmp_path, umask):
    umask(0o002)
    writer.prepare(tmp_path / "b")
    f = files.write_text(tmp_path / "b" / "x.json", "{}")
    assert mode(f) == 0o664 and mode(tmp_path / "b" / "images") == 0o775
    writer.write_json(tmp_path / "b", tmp_path / "b" / "meta" / "y.json", {})
    assert mode(tmp_path / "b" / "meta" / "y.json") == 0o664
