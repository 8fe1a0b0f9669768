#!/usr/bin/env bash
# Wheel check: build a wheel from this checkout, install it with its `all` extras into a fresh
# virtual environment outside the repository, and run every console script on a tiny job from an
# empty folder (so nothing is imported from the checkout and the configs must come from the
# wheel). Exits non-zero, naming the step, as soon as anything fails.
#
#   .ci/wheel_check.sh              # uv from $UV, else PATH, else .venv/bin/uv
#   KEEP=1 .ci/wheel_check.sh       # keep the temporary folder for inspection
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
UV=${UV:-$(command -v uv || echo "$REPO/.venv/bin/uv")}
PYTHON_VERSION=${PYTHON_VERSION:-3.11}  # bpy==5.0.1 needs CPython 3.11
STEP_TIMEOUT=${STEP_TIMEOUT:-600}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fridge-wheel-check.XXXXXX")
START=$SECONDS
STEP=setup

cleanup() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "wheel check: FAILED at step '$STEP' (exit $rc); files in $WORK" >&2
    elif [[ -z "${KEEP:-}" ]]; then
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

step() {
    STEP=$1
    echo "== wheel check [$((SECONDS - START)) s]: $STEP"
}

# Run a console script of the fresh environment with a time limit, from the empty folder.
run() {
    timeout "$STEP_TIMEOUT" "$VENV/bin/$1" "${@:2}"
}

expect() {  # expect DESCRIPTION TEST-ARGS...: fail the step when the test is false
    local what=$1
    shift
    if ! test "$@"; then
        echo "wheel check: $STEP: expected $what" >&2
        exit 1
    fi
}

[[ -x "$UV" ]] || { echo "wheel check: uv not found (set UV=/path/to/uv)" >&2; exit 1; }

step "build the wheel from a clean copy of the checkout"
# Tracked and untracked-but-not-ignored files only: stray build/ folders, outputs or YAML files
# that git ignores cannot reach the wheel.
mkdir -p "$WORK/src" "$WORK/dist"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done \
    | tar --null -cf - -T -) | tar -xf - -C "$WORK/src"
"$UV" build --quiet --wheel --out-dir "$WORK/dist" "$WORK/src"
WHEEL=$(ls "$WORK"/dist/*.whl)
echo "built $(basename "$WHEEL")"

step "install the wheel with [all] into a fresh venv"
VENV=$WORK/venv
"$UV" venv --quiet --python "$PYTHON_VERSION" "$VENV"
"$UV" pip install --quiet --python "$VENV/bin/python" "fridge-synth[all] @ file://$WHEEL"

RUN=$WORK/run  # empty working folder: the checkout is not importable from here
mkdir -p "$RUN"
cd "$RUN"
unset PYTHONPATH
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

step "the packages and configs come from the installed wheel"
"$VENV/bin/python" - "$REPO" <<'EOF'
import sys
from pathlib import Path

import blender_scenes, gan, pipeline  # noqa: E401
from gan.cli import config_dir

repo = Path(sys.argv[1]).resolve()
for mod in (blender_scenes, gan, pipeline):
    where = Path(mod.__file__).resolve()
    assert repo not in where.parents, f"{mod.__name__} imported from the checkout: {where}"
configs = config_dir().resolve()
assert repo not in configs.parents, f"configs found in the checkout: {configs}"
assert configs.parent.name == "site-packages", configs
print(f"configs: {configs}")
EOF

step "fridge-render: a tiny batch"
run fridge-render "out_dir=$RUN/renders" count=4 seed=3 "resolution=[64,64]" \
    render.samples=1 render.denoise=false placement=rows preview=false \
    "hydra.run.dir=$RUN/hydra/render"
expect "4 rendered images" "$(ls "$RUN/renders/images" | wc -l)" -eq 4

step "generate a few target images"
"$VENV/bin/python" - "$RUN/target" <<'EOF'
import sys
from pathlib import Path

import numpy as np
from PIL import Image

out = Path(sys.argv[1])
out.mkdir(parents=True)
rng = np.random.default_rng(0)
for i in range(4):
    pixels = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(out / f"photo_{i}.png")
EOF

step "fridge-train: 2 steps of a tiny CycleGAN"
run fridge-train model=cyclegan experiment=tiny "data.source_dir=$RUN/renders" \
    "data.target_dir=$RUN/target" trainer.max_steps=2 trainer.eval_every=2 \
    trainer.image_every=2 trainer.checkpoint_every=2 metrics.content.steps=2 \
    "metrics.content.cache_dir=$RUN/cache" "hydra.run.dir=$RUN/train"
expect "a checkpoint" -f "$RUN/train/checkpoints/last.pt"

step "fridge-translate: the batch through the trained generator"
run fridge-translate "checkpoint=$RUN/train/checkpoints/last.pt" "input_dir=$RUN/renders" \
    "out_dir=$RUN/translated" device=cpu
expect "4 translated images" "$(ls "$RUN/translated/images" | wc -l)" -eq 4

step "fridge-eval: translated batch vs its renders (paired, labelled)"
run fridge-eval "a_dir=$RUN/translated" "b_dir=$RUN/renders" "out_dir=$RUN/eval" \
    image_size=32 realism.crop_size=32 content.steps=2 "content.cache_dir=$RUN/cache" device=cpu
expect "report.json" -f "$RUN/eval/report.json"

step "fridge-export: the batch as a COCO dataset"
run fridge-export "batch=$RUN/renders" format=coco "out=$RUN/export" \
    "hydra.run.dir=$RUN/hydra/export"
expect "an exported dataset" -n "$(ls -A "$RUN/export")"

step "fridge-match: a one-trial search, and fridge-render with the preset it wrote"
run fridge-match "target_dir=$RUN/target" trials=1 "out=$RUN/cfg/render_preset/matched/tiny.yaml" \
    "run_dir=$RUN/match" image_size=32 render.images=2 render.samples=1 final.images=2 \
    panel_cell=32 "params=[exposure,light_temperature]" "hydra.run.dir=$RUN/hydra/match"
expect "a preset" -f "$RUN/cfg/render_preset/matched/tiny.yaml"
expect "a panel" -f "$RUN/match/panel.png"
run fridge-render --config-dir "$RUN/cfg" +render_preset=matched/tiny "out_dir=$RUN/matched" \
    count=1 "resolution=[32,32]" render.samples=1 placement=rows preview=false \
    "hydra.run.dir=$RUN/hydra/matched"
expect "1 image rendered with the preset" "$(ls "$RUN/matched/images" | wc -l)" -eq 1

step "fridge-demo: the composed config of every profile"
run fridge-demo --help >/dev/null
for profile in cpu fast gpu real_photos; do
    run fridge-demo "demo_profile=$profile" --cfg job >"$RUN/demo_$profile.yaml"
    expect "a composed demo config ($profile)" -s "$RUN/demo_$profile.yaml"
done

step "fridge-demo: the whole pipeline, tiny (renders via fridge-render, 4 training steps)"
run fridge-demo demo_profile=fast "demo.data_dir=$RUN/demo/data" "demo.out_dir=$RUN/demo/out" \
    "render.resolution=[48,48]" render.samples=1 render.source.count=3 render.target.count=3 \
    render.heldout.count=2 'render.extra=["objects.total=[10,16]","objects.per_shelf=[3,6]"]' \
    train.data.image_size=32 models.cut.config.trainer.max_steps=4 \
    models.cyclegan.config.trainer.max_steps=4 measure.swd_patches_per_image=32 \
    measure.crop_size=32 measure.content.steps=3 measure.usefulness.steps=5 \
    measure.usefulness.min_visible_pixels=4 demo.panel_rows=2 demo.panel_cell=64
expect "the demo report" -f "$RUN/demo/out/report.json"

STEP=done
echo "== wheel check passed in $((SECONDS - START)) s"
