"""Benchmarks: speed, scaling and precision, with the machine they ran on; simulated
photographs of digits for reading pictures."""
