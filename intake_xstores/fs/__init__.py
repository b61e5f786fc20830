"""Filesystem-based data stores: one store class over any fsspec protocol."""
