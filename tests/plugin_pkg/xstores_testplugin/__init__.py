"""A third-party plugin as a user would write one: a read-only store of
greetings, registered through the ``intake_xstores.plugins`` entry point."""

from intake_xstores import EXTENSION_POINT_DATA_STORES, import_component


def init_plugin(ext_registry):
    ext_registry.add_extension(
        EXTENSION_POINT_DATA_STORES,
        "greetings",
        loader=import_component("xstores_testplugin.store:GreetingsStore"),
        description="Greetings from a third-party plugin",
    )
    ext_registry.add_extension(
        EXTENSION_POINT_DATA_STORES,
        "staging",
        loader=import_component("xstores_testplugin.staging:StagingStore"),
        description="NetCDF files that must be preloaded (staged) before they open",
    )
