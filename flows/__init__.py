"""Prefect flows, operation bodies, the ingest engine, settings and the CLI. Imports indexers and masking.

The rooms, one job each:

- ``flows/cli/``: the ``ragmask`` command line, one module per family of commands.
- ``flows/settings/``: each operation's settings model, the one declaration of every setting: the CLI's
  options are generated from it, the deployment forms are it, and the bodies run with it.
- ``flows/operations/``: the plain-Python body of each operation (``run_ingest``, ``run_scrub``, ...),
  free of Prefect; the CLI's direct path and the flows both call them.
- ``flows/pipeline/``: the ingest engine that ingest and reindex drive (batches, preparation, masking
  processes, Dask, the write path).
- ``flows/prefect/``: the Prefect flows, one module per operation, with their slots, artifacts and
  deployments.
- ``flows/runtime/``: the process around it all (file modes, core dumps, logging).
"""
