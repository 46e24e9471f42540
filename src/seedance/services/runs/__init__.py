"""The engine of many takes (storyboards and batches): reruns, take files."""
