"""One check of one source, start to finish, and the wiring of the stages."""
