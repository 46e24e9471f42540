"""Videos: from a request to a saved, verified file (prepare, create, wait, download)."""
