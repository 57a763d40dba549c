"""SynthMIR helpers: the code behind the study's notebooks.

Modules, one job each: ``config`` (typed profile), ``prompts``, ``generation``
(+ backends ``symbolic``, ``musicgen``), ``embedding`` (+ backends
``musicnn``, ``passt``), ``training``, ``evaluation``, ``audio``, ``data``
(run folders, manifests, datasets) and ``reports``.
"""

__version__ = "0.1.0"
