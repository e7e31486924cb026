"""Scenario library, runner, sweeps and the command line."""
