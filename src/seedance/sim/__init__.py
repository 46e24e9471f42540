"""The simulator of the Seedance services: one app for every dialect, in process or as a server."""
