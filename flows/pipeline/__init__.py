"""The ingest engine behind ingest and reindex: batches, their preparation, masking processes, Dask."""
