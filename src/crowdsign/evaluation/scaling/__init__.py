"""The scaling study's report over a Hydra sweep dir (``evaluate.py report=scaling``).

``collect`` reads the runs, ``summary`` averages seeds per cell, ``fit`` fits learning curves
and the noise tax, ``budget`` answers the fixed-budget question, ``plots`` and ``markdown``
render, ``report`` writes it all to ``<sweep_dir>/report/``.
"""
