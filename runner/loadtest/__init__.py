"""Load tests: a collection as Locust users (``runner load``), in a process of its own.

Not ``runner/load``: the public API's ``runner.load`` function would be shadowed by the
package once imported."""
