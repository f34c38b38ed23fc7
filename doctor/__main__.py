"""`python -m doctor` is the same as the `stackdoctor` command."""

from doctor.cli.main import main

main()
