"""The ``recruitsim`` command line, on top of everything: nothing in the package imports it."""
