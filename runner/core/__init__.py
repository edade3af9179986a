"""The shared vocabulary every layer speaks: the model, errors and exit codes, results, the
event stream, redaction, atomic files, sizes. Imports nothing else of the runner."""
