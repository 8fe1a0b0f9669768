"""The render batch folder contract, shared by both stages (pure Python: no Blender, no torch).

`layout` names every folder and file of a batch, formats file stems, writes files atomically and
rebuilds ``annotations.json`` and the dataset card from ``meta/`` (merging sharded renders).
"""
