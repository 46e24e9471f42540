"""Storyboards: the file format, the plan, the manifest and the runner."""
