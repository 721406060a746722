"""A Remote Execution API service on loopback for the tests: BuildGrid and its workers."""
