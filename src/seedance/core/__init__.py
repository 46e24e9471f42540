"""The domain: models, catalogue, validation, polling, downloads, journal, chain."""
