"""Batches: the jobs file, the plan, the manifest and the runner."""
