"""curl command lines: import and export."""
