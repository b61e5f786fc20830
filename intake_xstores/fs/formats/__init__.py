"""Formats: how one kind of file or folder is read and written on any fsspec
filesystem. One module per format; each defines one :class:`FsFormat`."""
