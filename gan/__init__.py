"""The translation stage: PyTorch models that turn renders into realistic fridge photos, keeping
their labels. Never imports bpy.

Map:
  train.py       the `fridge-train` CLI (checks the command line, then `trainer.run_training`)
  trainer.py     the loop: data, steps, EMA, evaluation, TensorBoard, checkpoints, stop signals,
                 exact resumption
  distributed.py torchrun/DDP helpers; devices.py `select_device` (auto | cpu | cuda)
  config.py      typed config of data/trainer/metrics (types only: values come from the YAML,
                 `default_config`); one-line `ConfigError`s naming the key
  data.py        image folders and render batches, native-scale crops and their frame boxes,
                 pairing, masks, per-place mean colours (`frame_means`)
  networks.py    generators (U-Net, ResNet, residual + colour head + frame field),
                 discriminators (PatchGAN, multi-scale, frame coordinates), PatchNCE projection
                 head, weight init
  models/        pix2pix, cyclegan, cut/fastcut (models/__init__.py: how to add one)
  losses.py      GAN losses, L1, PatchNCE; preserve.py the mask-aware content term;
                 augment.py DiffAugment
  schedules.py   LR factors: linear decay (the GANs), warm-up cosine (the measuring nets)
  checkpoint.py  atomic checkpoints (weights_only loading), RNG state, generator.safetensors
  translate.py   `fridge-translate`: a batch or a folder in, translated images (labels kept) out
  evaluate.py    `fridge-eval`; metrics.py SWD, detail, FID/KID, PSNR/SSIM, label fidelity;
                 content.py the segmenter content score; usefulness.py the crop classifier
  logging_utils.py TensorBoard (scalars, image grids, HParams sessions); io.py atomic writes;
                 cli.py compose-first one-line errors, config_dir(), run labels

Where a new thing goes:
  - a model: models/ (recipe in models/__init__.py) and configs/model/<name>.yaml;
  - a metric: metrics.py (a function on tensors or arrays), wired into `evaluate.py` for
    `fridge-eval` and into `Trainer.evaluate` for TensorBoard (`metrics/<name>`);
  - a network option: a field of networks.py `GeneratorSpec`/`DiscriminatorSpec` (they are
    the `model.generator`/`model.discriminator` config sections; the generator's is stored in
    checkpoints) plus its value in every configs/model/*.yaml; a new generator field also
    goes into `GeneratorSpec.ADDED_LATER` (what older exports without it were);
  - an output of translation: translate.py (write into the temp folder; it is renamed last).
"""
