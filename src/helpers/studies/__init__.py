"""Studies beyond the paper (notebooks 06-09), over the five stage functions.

One module per study, plus the code they share:

=============  ======================================================================
``common``     run folders, the real benchmark with its groups, training a classifier
               per seed, a result cache keyed by settings, bootstrap intervals, plots
``scaling``    06: accuracy against clips per genre, on nested subsets of one generation
``mixing``     07: k real tracks per genre on top of generated data (pooling, CORAL,
               last-layer fine-tuning), on repeated group splits of the real tracks
``prompts``    08: prompt strategies, each generated into its own run folder
``quality``    09: label-free clip scores, dropping the worst x % and retraining
=============  ======================================================================

Every study writes its tables under ``<run_dir>/studies/<name>/`` and caches
each trained classifier's predictions there, keyed by everything that decides
them, so a re-run (or a run after a kill) redoes only what is missing.
"""
