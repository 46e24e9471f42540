"""The `seedance` command line: parse, call the core, render. No HTTP here."""
