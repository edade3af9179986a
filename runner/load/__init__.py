"""Load tests: a collection as Locust users (``runner load``), in a process of its own."""
