"""Reference media: local files inline or published, PyAV clips, frames and sheets."""
