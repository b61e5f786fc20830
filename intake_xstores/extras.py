"""Optional libraries: which extra of ``intake_xstores`` installs them.

The base install reads and writes Zarr and NetCDF on local and in-memory
stores; formats and protocols that need more declare it with a
:class:`Needs` (a format class's ``needs``, ``fs/formats``; a protocol's, ``fs/protocols.py``).
The check runs where a format is picked or a filesystem built, so a missing
library is a :class:`DataStoreError` telling the user what to install, and
listing a store never needs it.
"""

from __future__ import annotations

import dataclasses
import importlib

from .errors import DataStoreError

PACKAGE = "intake_xstores"


@dataclasses.dataclass(frozen=True)
class Needs:
    """Modules a component imports that the base install lacks, and their extra."""

    modules: tuple[str, ...] = ()
    extra: str | None = None

    def missing(self) -> list[str]:
        """The modules that cannot be imported here."""
        missing = []
        for module in self.modules:
            try:
                importlib.import_module(module)
            except ImportError:
                missing.append(module)
        return missing

    def check(self, what: str) -> None:
        """Raise a :class:`DataStoreError` naming the extra if a module is missing."""
        missing = self.missing()
        if missing:
            raise DataStoreError(
                f"{what} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                f'not installed: pip install "{PACKAGE}[{self.extra}]"'
            )


NOTHING = Needs()
