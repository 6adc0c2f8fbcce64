"""Recurrent models: the study's custom cells and the model factory."""

from rnncells.models import cells as _cells  # noqa: F401  (registers UGRNN and NAS for loading .keras files)
