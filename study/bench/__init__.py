"""Benchmarks: speed, scaling and precision, with the machine they ran on."""
