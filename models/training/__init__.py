"""Train small models live and keep every run, with a SQLite run store. No Gradio here: the Training tab
(studio/training.py) drives `Runner` and reads `RunStore`.

Imports go one way, top to bottom (no module imports one above it):
    data.py, folders.py      TaskData (what a task trains on); where runs and models are kept
    task.py                  `Task`: a task's data, variants, defaults, and how its saved model is reloaded
    finetune.py, image_sets.py  EfficientNet-Lite0 fine-tuning, the user's image sets: shared by image tasks
    tasks/<task>.py          one Task each; tasks/__init__.py lists them (TASKS)
    config.py                TrainConfig: one run's settings, checked against TASKS
    loop.py                  fit(): the training loop
    store.py, saved.py       the runs (SQLite), the trained models kept to be used
    job.py                   one run's work in the process that trains it: data, model, fit, model kept
    distributed.py           one run on several worker processes (torch.distributed, DDP), started by torchrun
    runner.py                runs off the request thread, one at a time
paths.py (optimizer paths on the Rosenbrock surface) stands alone.
"""
