"""The papers' printed numbers as CSV files, shipped with the package (sources: README.md here)."""
