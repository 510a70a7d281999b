"""Evaluation: the final test evaluation, the choices made on validation, the statistics
that compare runs, calibration."""
