"""Tests of the synchronous client (``pneumatic_async.sync``)."""
