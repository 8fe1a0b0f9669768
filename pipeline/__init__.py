"""The whole pipeline, render -> train -> translate -> measure -> report (`fridge-demo`), and
`fridge-match` (`pipeline/match.py`): an Optuna search of the render config for the scene
distribution whose renders come closest to a photo set, written as a render preset.

Where things go:

- a stage (render a batch, train a model, translate a batch): `pipeline/stages.py`; each writes
  into `root/<name>-<hash of its settings>` with a `done.json` marker written last;
- a measurement column: `pipeline/measure.py` (`measure_all` fills one row per image folder,
  through `fridge-eval`'s functions) and its column title in `pipeline/report.py` `COLUMNS`;
- a profile (sizes, counts, models and their steps): `configs/demo_profile/<name>.yaml`;
- a searched render knob of fridge-match: a `Param` in `match.SPACE` (a group name for
  `params:` in configs/match.yaml) and its render config value in `match.preset_values`;
- a model in the comparison: an entry under `models:` of a profile (`model:` or a train
  `experiment:` preset, plus `config:` overrides).

This package imports `gan` but never `bpy`: renders come from `fridge-render` subprocesses.
"""
