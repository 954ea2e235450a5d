"""Method validation: performance characteristics and the validation dossier.

- :mod:`~ballistics_core.validate.metrics`: Cllr, Cllr_min, ECE, Tippett, ROC, DET,
  AUC and decision rates with Clopper-Pearson intervals (arrays in, arrays out);
- :mod:`~ballistics_core.validate.truth`: the ground-truth CSV matched to scan files;
- :mod:`~ballistics_core.validate.pairs`: the per-pair table (outcomes joined with truth);
- :mod:`~ballistics_core.validate.dossier`: HTML, PDF, JSON and CSV output.
"""
