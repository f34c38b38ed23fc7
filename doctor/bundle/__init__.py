"""Support bundles: a .tar.gz of the facts document, the raw artifacts and a manifest.

`collect_bundle` (collect.py) is what `stackdoctor collect` runs: it gathers and writes through
`write_bundle` (writer.py); `read_bundle` (reader.py) is how `stackdoctor analyze` opens one,
treating it as hostile input.
"""
