"""The blocking resource namespaces, generated from :mod:`pneumatic_async.resources`."""
