"""Hydra configs of fridge-synth, installed as the package `fridge_configs`.

The YAML files are package data; `gan.cli.config_dir()` returns the folder that holds them.
"""
