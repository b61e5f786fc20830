"""The STAC family of plugin stores (``stac``, ``stac-xcube``, ``stac-cdse``, ``stac-pc``).

Placeholder so that :mod:`.sas` imports; the item stores' branch owns this module.
"""
