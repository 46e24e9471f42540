"""One module per API dialect (ark, openai, newapi), the asset library, and the HTTP layer."""
