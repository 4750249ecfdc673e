"""The shared layer under ann/, snn/, social/ and experiments/ (imports nothing of the project).

:mod:`core.opcounts` holds the operation-count table every learner's
``cost()`` returns; :mod:`core.energy` the hardware cost tables that price it.
"""
