"""recruitsim: an agent-based simulator of youth recruitment into criminal groups in Latin America and
the Caribbean, and of the policies that prevent it, with their cost-effectiveness.

Packages, in the order data flows through them:

* ``recruitsim.model``       - the simulator (``RecruitmentModel``, a ``mesa.Model``), policies, profiles,
                               and the calibrated parameter draws it runs with
* ``recruitsim.calibration`` - fitting each profile's uncertain parameters to observed rates (ABC)
* ``recruitsim.scenarios``   - the scenario library, runs with common random numbers, sweeps, designs,
                               sensitivity analysis, engines (local processes, Dask) and the results store
* ``recruitsim.economics``   - prices, cost-effectiveness, the budget optimiser, ``compare`` and its reports
* ``recruitsim.app`` (+ ``recruitsim.app_logic``) - the Solara app
* ``recruitsim.cli``         - the ``recruitsim`` command line (nothing imports it)
"""

__version__ = "0.2.0"
