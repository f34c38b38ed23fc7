"""The apiserver layer from evidence users already have: kubectl JSON and describe text."""
