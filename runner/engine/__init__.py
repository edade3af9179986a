"""The run: walk the steps in order (render -> send -> capture -> check), emit events; flow
control, iterations, retries, resuming, documentation checks. Never prints, never exits."""
