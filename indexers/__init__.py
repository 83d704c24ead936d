"""Sources, chunking, embedding, Qdrant and lineage stores. Imports masking, never flows."""
