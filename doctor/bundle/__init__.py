"""Support bundles: a .tar.gz of the facts document, the raw artifacts and a manifest.

`write_bundle` (writer.py) is what `stackdoctor collect` calls; `read_bundle` (reader.py) is how
`stackdoctor analyze` opens one, treating it as hostile input.
"""
