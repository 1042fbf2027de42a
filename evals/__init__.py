"""Evaluation suite: cases, metrics, gates and report for the KAP FAQ bot (see evals/README.md)."""
