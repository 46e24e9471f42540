"""The domain: models, catalogue, profiles, errors, clock and paths; imports nothing above it."""
