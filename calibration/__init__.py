"""Calibration of country profiles to observed rates, with uncertainty (docs/calibration.md).

* ``targets``   - the observed figures (``targets.csv``, sourced; ranges where sources conflict)
* ``priors``    - the calibrated parameters and their priors (from ``model.params``)
* ``simulate``  - one simulation -> summary statistics (expected homicides; closed-form output parameters)
* ``abc``       - the sampler: adaptive population Monte Carlo ABC
* ``calibrate`` - one profile end to end: ABC, posterior predictive check, files
* ``posterior`` - using the posteriors: ``draw(country, replicate)``, ``params_for``, ``calibrated_model``
* ``report``    - fit reports (markdown table + plot)
* ``trial``     - the in-model randomised trial of mentoring
* ``tables``    - the tables of docs/calibration.md, from the shipped posteriors (``python -m recruitsim.calibration.tables``)
* ``cli``       - ``recruitsim calibrate | profiles | trial``
"""
