"""SynthMIR helpers: the code behind the study's notebooks.

Foundations: ``config`` (typed profile), ``registry``, ``data`` (run folders,
manifests, datasets), ``audio``. Stage drivers: ``prompts``, ``generation``,
``embedding``, ``training``, ``evaluation``, ``pipeline`` (the stages as
functions and a CLI), ``reports``. Backends: ``generators`` (``symbolic``,
``musicgen``), ``embedders`` (``musicnn``, ``passt``), ``benchmarks`` (real
dataset readers and label maps). Beyond the paper: ``studies`` (notebooks
06-09), ``ablation`` (what makes symbolic clips transfer), ``launch``
(SLURM/local shards through submitit). Around them: ``cli`` (``./synthmir``),
``kernel`` (the SynthMIR Jupyter kernel), ``progress``.
"""

__version__ = "0.1.0"
