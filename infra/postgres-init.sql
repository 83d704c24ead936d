-- Prefect's own database beside ragmask's lineage database, on the same server.
CREATE DATABASE prefect;
