"""Beyond genre: tempo and key, learnt from generated clips whose labels are exact.

``task.name`` in the config picks the task: ``genre`` (the paper's study, stages 1-5
as they are), ``tempo`` or ``key``. For tempo and key, stages 1-2 make the clips as for
genre (the symbolic generator writes each clip's JAMS annotation and MIDI beside it, and
its tempo and key into ``clips/metadata.csv``), then this package:

* ``labels.py``: the classes (24 keys; tempo on a log-BPM axis) and label parsing;
* ``features.py``: the task's front-end (a constant-Q spectrogram for key; a multi-band
  tempogram for tempo), cached per clip;
* ``models.py``: the trainable backends (``key-cnn`` after Korzeniowski & Widmer 2017,
  ``key-chroma-net``, a key profile learnt per register, ``tempo-cnn`` after Schreiber &
  Mueller 2018), and ``baselines.py``: the classic
  estimators that need no training data (``key-profile``: Krumhansl-Kessler or
  Temperley profiles on chroma; ``librosa-tempo``: librosa's tempo estimator);
* ``metrics.py``: the field's metrics through mir_eval (MIREX weighted key score,
  tempo Accuracy1 / Accuracy2 / P-score), with intervals;
* ``study.py``: features -> training -> evaluation on the synthetic validation split and
  on annotated real recordings (:mod:`helpers.benchmarks.annotated`), beside the
  baselines; results under the task's name in ``metrics.json``.

Every model is a class in :data:`TASK_MODELS`, chosen by name, with scikit-learn's
``fit(X, y)`` / ``predict(X)`` shape over lists of feature arrays.
"""

from __future__ import annotations

from ..registry import Registry

TASK_MODELS: Registry = Registry("task model")
TASK_MODELS.register("key-cnn", "helpers.tasks.models:KeyCNN")
TASK_MODELS.register("key-chroma-net", "helpers.tasks.models:KeyChromaNet")
TASK_MODELS.register("tempo-cnn", "helpers.tasks.models:TempoCNN")
TASK_MODELS.register("key-profile", "helpers.tasks.baselines:KeyProfile")
TASK_MODELS.register("librosa-tempo", "helpers.tasks.baselines:LibrosaTempo")

#: per task: (trained model, baseline)
DEFAULTS = {"tempo": ("tempo-cnn", "librosa-tempo"), "key": ("key-cnn", "key-profile")}
TASKS = ("genre", "tempo", "key")
