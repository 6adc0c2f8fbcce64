"""rnncells: compare recurrent memory cells on melody generation by tonality metrics."""

__version__ = "0.1.0"
