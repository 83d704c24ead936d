"""Prefect flows, settings and the ragmask CLI. Imports indexers and masking."""
