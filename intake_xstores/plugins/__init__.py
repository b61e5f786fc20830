"""The seed's plugin data stores, one subpackage per family.

Each subpackage registers its stores through its own ``init_plugin`` named
by an entry point in the ``intake_xstores.plugins`` group, exactly as a
third-party plugin does (see "Writing a plugin" in the README). Nothing here
is imported when ``intake_xstores`` is: a store's module, and its libraries,
load when the store is first used.
"""
