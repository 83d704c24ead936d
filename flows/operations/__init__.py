"""The plain-Python body of each operation, one module per operation, free of Prefect imports."""
