"""The process around a run: private file modes, no core dumps, logs that hold no document text."""
