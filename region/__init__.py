"""The regional layer: several country models stepped together month by month and coupled by cocaine flows.

* ``routes``: the route network, corridors and the flow model's data (``region/data``, sources in SOURCES.md);
* ``flows``: route choice (logit), price (log-sum) and volume (demand elasticity), country revenue factors;
* ``flow_targets``, ``flow_prior``, ``calibrate_flows``, ``flow_report``: the route shares calibrated to published
  seizures and flow facts (targets, prior, sampler, what is written and reported; ``recruitsim region-calibrate``);
* ``scenario``: a scenario's policies per country, and the interdiction they put on routes;
* ``simulation``: the month loop over country partitions (one process), the results;
* ``dask_run``: the same loop with each country a Dask actor (one partition per worker);
* ``organisations``: transnational organisations (pooled revenue, shared leadership);
* ``migration``: people who cross borders (the bilateral table, monthly arrivals and departures per country).

``region`` sits beside ``scenarios``, above ``model``: it reads the model only through ``RecruitmentModel``
(``step()``, ``revenue_factor``, ``results()``) and the migration hook ``model.migration``. See docs/region.md.
"""
