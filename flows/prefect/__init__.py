"""The Prefect flows (one module per operation), their collection slots, artifacts and deployments."""
