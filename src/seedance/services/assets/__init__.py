"""The asset library: uploads, the cache of what was uploaded."""
