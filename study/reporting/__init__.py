"""Reporting: the tables, the findings in words, the reproducibility appendix."""
