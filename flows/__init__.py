"""Prefect flows, their bodies, settings and the ragmask CLI. Imports indexers and masking.

One naming rule for every operation: ``flows/<verb>.py`` holds the Prefect flow ``<verb>_flow`` (its
parameters, artifacts and the reduction of failures to their type); ``flows/<verb>ing.py`` holds the
body ``run_<verb>``, free of Prefect imports, which the CLI's direct path and the flow both call. So
ingest.py / ingesting.py, reindex.py / reindexing.py, erase.py / erasing.py, audit.py / auditing.py,
scrub.py / scrubbing.py, expire.py / expiring.py, compact.py / compacting.py; an operation without a
flow has only its body (searching.py, rehydrating.py, reporting.py).
Shared machinery has noun names: pipeline.py (the ingest pipeline, used by ingest and reindex),
parameters.py (each operation's settings object, the CLI's and the deployment form's), settings.py,
collection_slots.py, deployments.py, flow_runs.py, process.py, logging_setup.py, cli.py.
"""
