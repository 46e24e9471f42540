"""One package per API dialect (ark, kapon, opeai, newapi), the wire shapes they share
(arkwire, videowire), the asset library (assets), the one HTTP layer (http), and the registry
that picks a profile's provider. No provider imports another."""
